// MCM+KD data from a cluster work folder (cluster/train-work.ts) on a node without the project database: the exported
// grids and teacher features (each checked against its SHA-256 in work.json), patch pixels read from the slide files
// (each checked to be the exported slide and to cut the exported grid). The slides get the names, order and patient
// ids the project source would give them, so the run is the one the workstation would have run.
// Cost: teacher features of all slides are held in memory as float32 (patches × dim × 4 bytes).
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readGridFile } from '../../cluster/work-folder'
import { openWorkSlide, type PathMap } from '../../cluster/node-slide'
import type { TrainManifest } from '../../cluster/train-work'
import { OpenSlidesSource } from './slides-source'

export class WorkFolderDataSource extends OpenSlidesSource {
  private constructor(patchSize: number) {
    super(patchSize)
  }

  static async open(dir: string, work: TrainManifest, patchSize: number, o: { pathMap?: PathMap; signal?: AbortSignal } = {}): Promise<WorkFolderDataSource> {
    const src = new WorkFolderDataSource(patchSize)
    try {
      for (const s of work.slides) {
        o.signal?.throwIfAborted()
        const patches = readGridFile(dir, s)
        const file = join(dir, s.teacherFile)
        if (!existsSync(file)) throw new Error(`${file}: teacher features of slide "${s.name}" are missing`)
        const bytes = readFileSync(file)
        if (createHash('sha256').update(bytes).digest('hex') !== s.teacherSha256) throw new Error(`${file}: teacher features of slide "${s.name}" do not match their hash in work.json`)
        const vectors = new Float32Array(new Uint8Array(bytes).buffer) // a copy: the Buffer may not be 4-byte aligned
        const source = await openWorkSlide(s, o.pathMap, o.signal)
        try {
          src.add(
            s.runName,
            { view: { slide: s.runName, cols: s.grid.cols, rows: s.grid.rows, patches: patches.map((p) => ({ index: p.index, col: p.col, row: p.row })), patient: s.patient }, source, info: s.grid, patches, vectors },
            s.teacherDim
          )
        } catch (e) {
          await source.close()
          throw e
        }
      }
      src.description = {
        source: 'project',
        projectId: work.project.id,
        teacher: work.teacher.name,
        teacherEncoderKey: work.teacher.encoderKey,
        grid: work.config['grid'],
        slides: work.slides.map((s) => `${s.runName}:${s.contentKey}`),
        cluster: { workId: work.workId }
      }
      return src
    } catch (e) {
      await src.close()
      throw e
    }
  }
}
