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
import { getOrComputeGrid } from '../../tissue/grid-store'
import type { McmConfig } from '../../../src-shared/contracts/train'
import { OpenSlidesSource } from './slides-source'

export class ProjectDataSource extends OpenSlidesSource {
  private constructor(private readonly cfg: McmConfig) {
    super(cfg.grid.patchSize)
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
        const name = this.bySlide.has(slide.name) ? `${slide.name}#${slide.id}` : slide.name
        this.add(
          name,
          {
            view: { slide: name, cols: grid.info.cols, rows: grid.info.rows, patches: grid.patches.map((p) => ({ index: p.index, col: p.col, row: p.row })), patient: slide.patientId },
            source,
            info: grid.info,
            patches: grid.patches,
            vectors: set.vectors
          },
          set.info.dim
        )
        used.push(`${name}:${slide.checksum}`)
        keep = true
      } finally {
        if (!keep) await source.close()
      }
    }
    this.description = { source: 'project', projectId, teacher: rec.name, teacherEncoderKey: encoderKey, grid: this.cfg.grid, slides: used }
  }
}
