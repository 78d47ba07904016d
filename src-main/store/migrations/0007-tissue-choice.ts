// Migration 7: per-project tissue method (JSON TissueChoice; NULL = the default), tissue coverage per stored mask, and
// tissue annotations imported per slide (GeoJSON polygons, e.g. drawn in QuPath). Projects that already hold grids
// were built with the saturation mask: they are pinned to it, so their grids and cached features stay valid.
import type { Migration } from './index'

export const migration0007: Migration = {
  version: 7,
  name: 'tissue-choice',
  up: `
ALTER TABLE projects ADD COLUMN tissue TEXT;
UPDATE projects SET tissue = '{"method":"otsu-saturation"}'
  WHERE id IN (SELECT s.project_id FROM slides s JOIN grids g ON g.slide_id = s.id);

-- fraction (0–1) of the mask's pixels that are tissue; NULL on masks stored before this migration (filled on next read)
ALTER TABLE tissue_masks ADD COLUMN coverage REAL;

CREATE TABLE tissue_annotations (
  slide_id INTEGER PRIMARY KEY REFERENCES slides(id) ON DELETE CASCADE,
  file TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  -- JSON: polygons as rings of [x, y] level-0 px (first ring outer, then holes)
  polygons TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
) STRICT;
`
}
