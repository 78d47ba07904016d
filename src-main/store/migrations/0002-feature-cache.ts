// Migration 2: feature cache, one set per slide × grid × encoder, keyed by everything that produced it.
import type { Migration } from './index'

export const migration0002: Migration = {
  version: 2,
  name: 'feature-cache',
  up: `
CREATE TABLE feature_sets (
  id INTEGER PRIMARY KEY,
  slide_checksum TEXT NOT NULL,
  grid_key TEXT NOT NULL,
  encoder_key TEXT NOT NULL,
  dtype TEXT NOT NULL CHECK (dtype IN ('float16','float32')),
  dim INTEGER NOT NULL CHECK (dim > 0),
  count INTEGER NOT NULL DEFAULT 0,
  complete INTEGER NOT NULL DEFAULT 0,
  produced_by TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  UNIQUE (slide_checksum, grid_key, encoder_key, dtype)
) STRICT;

CREATE TABLE feature_vectors (
  set_id INTEGER NOT NULL REFERENCES feature_sets(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  vec BLOB NOT NULL,
  PRIMARY KEY (set_id, idx)
) STRICT;
`
}
