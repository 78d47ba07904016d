// Slide-global patch grid and context windows, in level-0 pixels. Shared by the core and the viewer overlays.

/**
 * How tissue is told from glass: Otsu on HSV saturation (legacy; drops pale IHC), Otsu on darkness (255 − grey), Otsu
 * on optical density (mean −log10 of the channels), combined (saturation or darkness; the default), or a GeoJSON
 * annotation imported per slide (e.g. drawn in QuPath).
 */
export const TISSUE_METHODS = ['combined', 'otsu-saturation', 'otsu-grey', 'otsu-od', 'geojson'] as const
export type TissueMethod = (typeof TISSUE_METHODS)[number]
/** Method of projects that chose none: keeps H&E (saturated) and pale IHC (dark but grey) tissue. */
export const DEFAULT_TISSUE_METHOD: TissueMethod = 'combined'

/** A project's (or one request's) tissue choice; thresholds 0–255 replace Otsu on that channel. */
export interface TissueChoice {
  method: TissueMethod
  saturationThreshold?: number
  darknessThreshold?: number
}

export interface GridParams {
  /** requested resolution in µm/px (e.g. 0.5 ≈ 20×) */
  targetMpp: number
  /** patch edge in pixels at the target resolution (e.g. 224) */
  patchSize: number
  /** overlap in target pixels between neighbouring patches (0 = adjacent) */
  overlap: number
  /** minimum tissue fraction of a patch to keep it */
  minTissue: number
  /** tissue method for this grid; absent = the project's choice (project.setTissue), else the default (combined) */
  tissue?: TissueChoice
}

export interface GridInfo {
  params: GridParams
  /** the mpp actually used for level 0 (metadata or override) */
  level0Mpp: number
  /** size of one patch footprint in level-0 pixels */
  patchSizeLevel0: number
  /** grid step in level-0 pixels (= footprint − overlap) */
  stepLevel0: number
  /** slide level the patches are read from (nearest higher resolution), and the extra downsample applied */
  readLevel: number
  readDownsample: number
  cols: number
  rows: number
  /** stable key of everything that defines this grid on this slide (feature-cache key; per slide) */
  key: string
  /**
   * project-wide name of the grid's parameters (mpp, patch size, overlap, min-tissue, tissue method), equal on every
   * slide; what `--grid-key` and export paths use. Absent on grids stored before names existed (see gridNameOf).
   */
  name?: string
  /** tissue-mask method the patches were kept by (absent on old records: otsu-saturation) */
  tissueMethod?: string
}

/** One patch of the grid: top-left corner in level-0 px, and its grid cell. */
export interface GridPatch {
  index: number
  x: number
  y: number
  col: number
  row: number
  tissue: number
}
