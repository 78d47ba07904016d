// Migration 6: the loss curve records both parameter groups (student and predictor learning rate and gradient norm),
// and runs gain a third phase, 'patch-kd' (the budget-matched per-patch KD control), in loss points and checkpoints.
// SQLite cannot change a CHECK constraint in place: both tables are rebuilt and their rows copied.
import type { Migration } from './index'

export const migration0006: Migration = {
  version: 6,
  name: 'mcm-loss-groups',
  up: `
CREATE TABLE mcm_loss_new (
  run_id INTEGER NOT NULL REFERENCES mcm_runs(id) ON DELETE CASCADE,
  phase TEXT NOT NULL CHECK (phase IN ('main','control','patch-kd')),
  step INTEGER NOT NULL,
  loss REAL,
  lr REAL NOT NULL,
  lr_student REAL,
  grad_norm_student REAL,
  grad_norm_predictor REAL,
  PRIMARY KEY (run_id, phase, step)
) STRICT;
INSERT INTO mcm_loss_new (run_id, phase, step, loss, lr) SELECT run_id, phase, step, loss, lr FROM mcm_loss;
DROP TABLE mcm_loss;
ALTER TABLE mcm_loss_new RENAME TO mcm_loss;

CREATE TABLE mcm_checkpoints_new (
  run_id INTEGER NOT NULL REFERENCES mcm_runs(id) ON DELETE CASCADE,
  phase TEXT NOT NULL CHECK (phase IN ('main','control','patch-kd')),
  step INTEGER NOT NULL,
  path TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  PRIMARY KEY (run_id, phase, step)
) STRICT;
INSERT INTO mcm_checkpoints_new SELECT * FROM mcm_checkpoints;
DROP TABLE mcm_checkpoints;
ALTER TABLE mcm_checkpoints_new RENAME TO mcm_checkpoints;
`
}
