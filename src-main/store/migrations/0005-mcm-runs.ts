// Migration 5: MCM+KD fine-tuning runs, their loss curves, checkpoints, evaluation and inspection data.
import type { Migration } from './index'

export const migration0005: Migration = {
  version: 5,
  name: 'mcm-runs',
  up: `
CREATE TABLE mcm_runs (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  student TEXT NOT NULL,
  teacher TEXT NOT NULL,
  config TEXT NOT NULL,
  run_dir TEXT NOT NULL,
  output_model TEXT,
  evaluation TEXT,
  inspection TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
) STRICT;
CREATE INDEX mcm_runs_project ON mcm_runs(project_id, id);
CREATE UNIQUE INDEX mcm_runs_job ON mcm_runs(job_id);

CREATE TABLE mcm_loss (
  run_id INTEGER NOT NULL REFERENCES mcm_runs(id) ON DELETE CASCADE,
  phase TEXT NOT NULL CHECK (phase IN ('main','control')),
  step INTEGER NOT NULL,
  loss REAL,
  lr REAL NOT NULL,
  PRIMARY KEY (run_id, phase, step)
) STRICT;

CREATE TABLE mcm_checkpoints (
  run_id INTEGER NOT NULL REFERENCES mcm_runs(id) ON DELETE CASCADE,
  phase TEXT NOT NULL CHECK (phase IN ('main','control')),
  step INTEGER NOT NULL,
  path TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  PRIMARY KEY (run_id, phase, step)
) STRICT;
`
}
