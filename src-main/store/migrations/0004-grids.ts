// Migration 4: tissue masks and slide-global patch grids, per slide, keyed by everything that produced them.
import type { Migration } from './index'

export const migration0004: Migration = {
  version: 4,
  name: 'grids',
  up: `
CREATE TABLE tissue_masks (
  id INTEGER PRIMARY KEY,
  slide_id INTEGER NOT NULL REFERENCES slides(id) ON DELETE CASCADE,
  -- content key of the slide file + mask parameters (JSON); a changed file or parameter makes a new row
  mask_key TEXT NOT NULL,
  params TEXT NOT NULL,
  threshold INTEGER NOT NULL,
  width INTEGER NOT NULL CHECK (width > 0),
  height INTEGER NOT NULL CHECK (height > 0),
  downsample REAL NOT NULL CHECK (downsample > 0),
  -- 1 bit per mask pixel, row-major, LSB first
  mask BLOB NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  UNIQUE (slide_id, mask_key)
) STRICT;

CREATE TABLE grids (
  id INTEGER PRIMARY KEY,
  slide_id INTEGER NOT NULL REFERENCES slides(id) ON DELETE CASCADE,
  grid_key TEXT NOT NULL,
  -- GridInfo as JSON (params, level-0 mpp, footprint, step, read level, cols, rows, key)
  info TEXT NOT NULL,
  tissue_params TEXT NOT NULL,
  patch_count INTEGER NOT NULL CHECK (patch_count >= 0),
  -- per patch: int32 x, y, col, row + float32 tissue, little-endian (20 bytes)
  patches BLOB NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  UNIQUE (slide_id, grid_key)
) STRICT;
`
}
