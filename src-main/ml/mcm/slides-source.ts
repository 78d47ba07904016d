// The part of an MCM+KD data source over real slides that does not care where the slides came from: open slide
// readers, their grids and teacher features in memory, patches read on demand (one region read per patch).
// Subclasses: ProjectDataSource (project database + feature cache), WorkFolderDataSource (a cluster work folder).
import type { SlideSource } from '../../slides/slide-source'
import { readPatch } from '../../tissue/read-patch'
import type { GridInfo, GridPatch } from '../../../src-shared/domain/grid'
import type { McmDataSource, SlideGridView } from './data-source'

export interface OpenSlideData {
  view: SlideGridView
  source: SlideSource
  info: GridInfo
  patches: GridPatch[]
  vectors: Float32Array
}

export abstract class OpenSlidesSource implements McmDataSource {
  teacherDim = 0
  protected readonly bySlide = new Map<string, OpenSlideData>()
  protected description: Record<string, unknown> = {}

  protected constructor(readonly patchSize: number) {}

  /** Add one opened slide; checks its teacher features against the grid and the other slides. */
  protected add(name: string, s: OpenSlideData, dim: number): void {
    const path = s.source.path
    if (s.vectors.length !== s.patches.length * dim) throw new Error(`${path}: teacher features hold ${s.vectors.length / dim} patches, the grid has ${s.patches.length}`)
    if (this.teacherDim && dim !== this.teacherDim) throw new Error(`${path}: teacher features have dim ${dim}, other slides ${this.teacherDim}`)
    this.teacherDim = dim
    this.bySlide.set(name, s)
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
