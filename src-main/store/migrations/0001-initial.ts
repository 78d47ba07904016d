// Migration 1: projects, slides, jobs (runs), models.
import type { Migration } from './index'

export const migration0001: Migration = {
  version: 1,
  name: 'initial',
  up: `
CREATE TABLE projects (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
) STRICT;

CREATE TABLE slides (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  name TEXT NOT NULL,
  checksum TEXT,
  status TEXT NOT NULL CHECK (status IN ('ok','error','pending')),
  error TEXT,
  vendor TEXT,
  width INTEGER,
  height INTEGER,
  mpp_x REAL,
  mpp_y REAL,
  mpp_override REAL CHECK (mpp_override IS NULL OR mpp_override > 0),
  label TEXT,
  patient_id TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  UNIQUE (project_id, path)
) STRICT;

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','cancelled','interrupted')),
  params TEXT NOT NULL DEFAULT '{}',
  progress REAL NOT NULL DEFAULT 0,
  message TEXT,
  error TEXT,
  result TEXT,
  metrics TEXT NOT NULL DEFAULT '{}',
  state TEXT,
  resumable INTEGER NOT NULL DEFAULT 0,
  pid INTEGER,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  started_at TEXT,
  finished_at TEXT
) STRICT;
CREATE INDEX jobs_project ON jobs(project_id, id);

CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('student','teacher','finetuned','other')),
  manifest TEXT NOT NULL,
  weights_path TEXT,
  weights_hash TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
) STRICT;
`
}
