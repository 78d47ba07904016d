// The one interface every whole-slide reader implements; readers are picked by the registry (registry.ts).
// Coordinates: integer level-0 pixels, top-left origin, (x, y) = (column, row), as OpenSlide's read_region.

export interface SlideLevel {
  width: number
  height: number
  /** level-0 pixels per pixel of this level (1 for level 0) */
  downsample: number
  /** native tile size of this level, when tiled */
  tileWidth: number | null
  tileHeight: number | null
}

export interface SlideMetadata {
  /** e.g. 'aperio', 'generic-tiff', 'ome-tiff', 'philips', 'dicom', or OpenSlide's vendor string */
  vendor: string
  /** which reader produced this (e.g. 'tiff', 'dicom', 'openslide') */
  reader: string
  width: number
  height: number
  levels: SlideLevel[]
  /** µm per pixel at level 0, null when the file does not say */
  mppX: number | null
  mppY: number | null
  objectivePower: number | null
  /** raw properties, OpenSlide-style names where they exist (openslide.mpp-x, aperio.AppMag, tiff.ImageDescription…) */
  properties: Record<string, string>
  /** names of associated images: label, macro, thumbnail… */
  associatedImages: string[]
}

/** RGBA pixels, row-major, 4 bytes per pixel, straight (not premultiplied) alpha. */
export interface RgbaImage {
  width: number
  height: number
  data: Uint8Array
}

export interface SlideSource {
  readonly path: string
  readonly metadata: SlideMetadata
  /**
   * Read a region: (x, y) in level-0 pixels, (width, height) in pixels of `level`.
   * Areas outside the slide are transparent (alpha 0), as OpenSlide returns them.
   * Convention at level > 0 when x or y is not a multiple of the level's downsample: the region starts at level
   * pixel floor(x / downsample), the one covering level-0 x; nothing is resampled. OpenSlide 3.4.1 (and so the
   * OpenSlide-backed reader) interpolates between level pixels instead (differences up to ~100 per channel on a
   * 1-px shift). Both agree on multiples of the downsample, which is all slide-global grids use
   * (tests/unit/slides/region-offsets.test.ts).
   */
  readRegion(x: number, y: number, level: number, width: number, height: number, signal?: AbortSignal): Promise<RgbaImage>
  readAssociatedImage(name: string): Promise<RgbaImage>
  close(): Promise<void>
}

/** Error for unreadable or unsupported slides; the message names the file and the problem. */
export class SlideError extends Error {
  constructor(
    readonly file: string,
    problem: string,
    readonly code: 'unsupported' | 'corrupt' | 'not_found' | 'too_large' | 'needs_openslide' | 'aborted' = 'corrupt'
  ) {
    super(`${file}: ${problem}`)
    this.name = 'SlideError'
  }
}

/** Hard caps checked before any allocation (see docs/reliability in shared notes). */
export const LIMITS = {
  /** largest region a single readRegion call may return (2^26 px = 256 MiB of RGBA) */
  maxRegionPixels: 2 ** 26,
  /** largest dimension accepted for a level */
  maxDimension: 2 ** 31 - 1,
  /** largest tile edge accepted */
  maxTileEdge: 16384,
  /** largest header / metadata blob read into memory */
  maxMetadataBytes: 64 * 1024 * 1024
} as const
