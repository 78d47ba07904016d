// MCM+KD data from a project: the tissue grid of every readable slide (tissue/grid-store), patch pixels read on demand
// from the open slides (tissue/read-patch: one region read per patch, never a whole slide), and the teacher's cached
// features (store/feature-cache, written by features.extract with the same grid).
// Cost: teacher features of all slides are held in memory as float32 (patches × dim × 4 bytes).
import type { Db } from '../../store/database'
import { SlidesRepo } from '../../store/slides-repo'
import { ModelsRepo } from '../../store/models-repo'
import { FeatureCache } from '../../store/feature-cache'
import { encoderKeyOf, parseManifest } from '../../models/manifest'
import { openSlide } from '../../slides/registry'
import type { SlideSource } from '../../slides/slide-source'
import { getOrComputeGrid } from '../../tissue/grid-store'
import { readPatch } from '../../tissue/read-patch'
import type { GridInfo, GridPatch } from '../../../src-shared/domain/grid'
import type { McmConfig } from '../../../src-shared/contracts/train'
import type { McmDataSource, SlideGridView } from './data-source'

interface OpenSlideData {
  view: SlideGridView
  source: SlideSource
  info: GridInfo
  patches: GridPatch[]
  vectors: Float32Array
}

export class ProjectDataSource implements McmDataSource {
  readonly patchSize: number
  teacherDim = 0
  private readonly bySlide = new Map<string, OpenSlideData>()
  private description: Record<string, unknown> = {}

  private constructor(private readonly cfg: McmConfig) {
    this.patchSize = cfg.grid.patchSize
  }

  /** Open every readable slide of the project; fails naming the first slide whose teacher features are not cached. */
  static async open(db: Db, projectId: number, teacher: string, cfg: McmConfig, signal?: AbortSignal): Promise<ProjectDataSource> {
    const src = new ProjectDataSource(cfg)
    try {
      await src.load(db, projectId, teacher, signal)
      return src
    } catch (e) {
      await src.close()
      throw e
    }
  }

  private async load(db: Db, projectId: number, teacher: string, signal?: AbortSignal): Promise<void> {
    const rec = new ModelsRepo(db).resolve(teacher)
    const manifest = parseManifest(rec.manifest, `teacher "${rec.name}"`)
    const encoderKey = encoderKeyOf(manifest)
    const cache = new FeatureCache(db)
    const slides = new SlidesRepo(db).list(projectId).filter((s) => s.status === 'ok' && s.checksum)
    if (slides.length < 2) throw new Error(`project ${projectId} has ${slides.length} readable slide(s); MCM+KD needs at least 2 (training + held-out)`)
    const used: string[] = []
    for (const slide of slides) {
      const source = await openSlide(slide.path, { signal })
      let keep = false
      try {
        const grid = await getOrComputeGrid(db, slide, this.cfg.grid, { source, ...(signal ? { signal } : {}) })
        const key = { slideChecksum: slide.checksum as string, gridKey: grid.info.key, encoderKey, dtype: this.cfg.data.teacherDtype }
        const set = cache.read(key)
        if (!set) {
          throw new Error(
            `${slide.path}: no complete ${this.cfg.data.teacherDtype} features of teacher "${rec.name}" for this grid (${this.cfg.grid.patchSize}px at ${this.cfg.grid.targetMpp} µm/px); run features extraction with that model and grid first`
          )
        }
        if (set.info.count !== grid.patches.length) throw new Error(`${slide.path}: teacher features hold ${set.info.count} patches, the grid has ${grid.patches.length}`)
        if (this.teacherDim && set.info.dim !== this.teacherDim) throw new Error(`${slide.path}: teacher features have dim ${set.info.dim}, other slides ${this.teacherDim}`)
        this.teacherDim = set.info.dim
        const name = this.bySlide.has(slide.name) ? `${slide.name}#${slide.id}` : slide.name
        this.bySlide.set(name, {
          view: { slide: name, cols: grid.info.cols, rows: grid.info.rows, patches: grid.patches.map((p) => ({ index: p.index, col: p.col, row: p.row })), patient: slide.patientId },
          source,
          info: grid.info,
          patches: grid.patches,
          vectors: set.vectors
        })
        used.push(`${name}:${slide.checksum}`)
        keep = true
      } finally {
        if (!keep) await source.close()
      }
    }
    this.description = { source: 'project', projectId, teacher: rec.name, teacherEncoderKey: encoderKey, grid: this.cfg.grid, slides: used }
  }

  slides(): SlideGridView[] {
    return [...this.bySlide.values()].map((s) => s.view)
  }

  private slide(name: string): OpenSlideData {
    const s = this.bySlide.get(name)
    if (!s) throw new Error(`slide "${name}" is not part of this run`)
    return s
  }

  private patch(s: OpenSlideData, index: number): GridPatch {
    const at = s.patches[index]
    const patch = at?.index === index ? at : s.patches.find((p) => p.index === index)
    if (!patch) throw new Error(`${s.source.path}: no grid patch ${index}`)
    return patch
  }

  async readPatch(slide: string, index: number, signal?: AbortSignal): Promise<Uint8Array> {
    const s = this.slide(slide)
    const patch = this.patch(s, index)
    const rgba = await readPatch(s.source, s.info, patch, signal)
    const n = rgba.width * rgba.height
    const rgb = new Uint8Array(n * 3)
    for (let i = 0; i < n; i++) {
      rgb[i * 3] = rgba.data[i * 4] ?? 0
      rgb[i * 3 + 1] = rgba.data[i * 4 + 1] ?? 0
      rgb[i * 3 + 2] = rgba.data[i * 4 + 2] ?? 0
    }
    return rgb
  }

  patchCentre(slide: string, index: number): { x: number; y: number } {
    const s = this.slide(slide)
    const patch = this.patch(s, index)
    return { x: patch.x + s.info.patchSizeLevel0 / 2, y: patch.y + s.info.patchSizeLevel0 / 2 }
  }

  teacherFeature(slide: string, index: number): Float32Array {
    const s = this.slide(slide)
    return s.vectors.subarray(index * this.teacherDim, (index + 1) * this.teacherDim)
  }

  describe(): Record<string, unknown> {
    return this.description
  }

  async close(): Promise<void> {
    for (const s of this.bySlide.values()) await s.source.close()
    this.bySlide.clear()
  }
}
