// Where fine-tuning runs keep their checkpoints and exported weights: next to the database, <db dir>/runs/<name>.
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export function runsRoot(dbPath: string): string {
  return join(dbPath === ':memory:' ? tmpdir() : dirname(dbPath), 'runs')
}

/** A local run: runs/job-<id>. */
export const runDirFor = (dbPath: string, jobId: number): string => join(runsRoot(dbPath), `job-${jobId}`)
