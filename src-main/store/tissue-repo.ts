// Tissue annotations imported per slide (GeoJSON polygons) and the coverage of stored masks.
import type { Db } from './database'

export interface TissueAnnotation {
  slideId: number
  file: string
  sha256: string
  /** polygons as rings of [x, y] level-0 px */
  polygons: [number, number][][][]
  createdAt: string
}

export class TissueRepo {
  constructor(private readonly db: Db) {}

  annotation(slideId: number): TissueAnnotation | null {
    const r = this.db.prepare('SELECT slide_id, file, sha256, polygons, created_at FROM tissue_annotations WHERE slide_id = ?').get(slideId) as
      | { slide_id: number; file: string; sha256: string; polygons: string; created_at: string }
      | undefined
    return r ? { slideId: r.slide_id, file: r.file, sha256: r.sha256, polygons: JSON.parse(r.polygons) as TissueAnnotation['polygons'], createdAt: r.created_at } : null
  }

  /** Replace the slide's annotation (one per slide). */
  putAnnotation(slideId: number, file: string, sha256: string, polygons: TissueAnnotation['polygons']): void {
    this.db
      .prepare('INSERT OR REPLACE INTO tissue_annotations (slide_id, file, sha256, polygons) VALUES (?, ?, ?, ?)')
      .run(slideId, file, sha256, JSON.stringify(polygons))
  }

  setMaskCoverage(slideId: number, maskKey: string, coverage: number): void {
    this.db.prepare('UPDATE tissue_masks SET coverage = ? WHERE slide_id = ? AND mask_key = ?').run(coverage, slideId, maskKey)
  }
}
