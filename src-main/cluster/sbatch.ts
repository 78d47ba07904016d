// The generated batch scripts of a work folder: submit.sbatch (a job array, one task per shard) and verify.sbatch
// (a one-task merge step that checks every shard on the cluster, for `sbatch --dependency=afterany:<array job>`), and
// train.sbatch (the one-task MCM+KD fine-tuning job).
// The scripts run from their working directory (the work folder: `cd DIR && sbatch submit.sbatch`, or --chdir=DIR),
// so the folder can be copied to the cluster's file system under any path.
import type { SbatchOptions } from './work-folder'
import { LOGS_DIR, WORK_FILE } from './work-folder'

export const SBATCH_DEFAULTS: Omit<SbatchOptions, 'tesseraCommand'> = {
  partition: null,
  account: null,
  gpus: 0,
  cpus: 4,
  time: '04:00:00',
  mem: '16G',
  dependency: null
}

export const jobName = (workId: string): string => `tessera-${workId.slice(0, 8)}`

function header(o: SbatchOptions, name: string, extra: string[]): string[] {
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=${name}`,
    ...extra,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.account ? [`#SBATCH --account=${o.account}`] : []),
    `#SBATCH --cpus-per-task=${o.cpus}`,
    `#SBATCH --mem=${o.mem}`,
    `#SBATCH --time=${o.time}`
  ]
}

const preamble = [
  'set -euo pipefail',
  `if [ ! -f ${WORK_FILE} ]; then echo "run from the work folder (cd DIR && sbatch ...), or give sbatch --chdir=DIR" >&2; exit 2; fi`
]

/** One array task per shard; a task re-run skips the slides it already finished (checked by hash). */
export function submitScript(o: SbatchOptions, workId: string, tasks: number): string {
  const lines = [
    ...header(o, jobName(workId), [
      `#SBATCH --array=0-${tasks - 1}`,
      `#SBATCH --output=${LOGS_DIR}/%A_%a.out`,
      ...(o.gpus > 0 ? [`#SBATCH --gres=gpu:${o.gpus}`] : []),
      ...(o.dependency ? [`#SBATCH --dependency=${o.dependency}`] : [])
    ]),
    `# Tessera feature extraction, work ${workId}: one task per shard (see ${WORK_FILE}).`,
    '# TESSERA_BIN overrides how the node starts Tessera.',
    ...preamble,
    `TESSERA_BIN="\${TESSERA_BIN:-${o.tesseraCommand}}"`,
    '$TESSERA_BIN features extract-shard "$PWD" --task "$SLURM_ARRAY_TASK_ID" --threads "${SLURM_CPUS_PER_TASK:-1}"',
    ''
  ]
  return lines.join('\n')
}

/** The merge step: checks every shard on the cluster (no database) and fails when any is missing or bad. */
export function verifyScript(o: SbatchOptions, workId: string): string {
  return [
    ...header({ ...o, cpus: 1, mem: '2G', time: '00:30:00' }, `${jobName(workId)}-verify`, [`#SBATCH --output=${LOGS_DIR}/verify-%j.out`]),
    `# Submit after the array: sbatch --dependency=afterany:<array job id> verify.sbatch`,
    ...preamble,
    `TESSERA_BIN="\${TESSERA_BIN:-${o.tesseraCommand}}"`,
    '$TESSERA_BIN cluster status "$PWD" --verify',
    ''
  ].join('\n')
}

/** Defaults of the fine-tuning job: one task on one GPU (--gpus 0 for a CPU-only partition or a test cluster). */
export const TRAIN_SBATCH_DEFAULTS: Omit<SbatchOptions, 'tesseraCommand'> = { ...SBATCH_DEFAULTS, gpus: 1, cpus: 8, time: '24:00:00', mem: '32G' }

/**
 * The one-task fine-tuning job. --requeue lets SLURM put it back in the queue when its node fails; every start
 * resumes from the last checkpoint under run/ (a manual `sbatch train.sbatch` after a failure does the same).
 */
export function trainScript(o: SbatchOptions, workId: string): string {
  return [
    ...header(o, `${jobName(workId)}-train`, [
      '#SBATCH --ntasks=1',
      `#SBATCH --output=${LOGS_DIR}/train-%j.out`,
      '#SBATCH --requeue',
      ...(o.gpus > 0 ? [`#SBATCH --gres=gpu:${o.gpus}`] : []),
      ...(o.dependency ? [`#SBATCH --dependency=${o.dependency}`] : [])
    ]),
    `# Tessera MCM+KD fine-tuning, work ${workId} (see ${WORK_FILE}); resumes from its last checkpoint when re-run.`,
    '# TESSERA_BIN overrides how the node starts Tessera.',
    ...preamble,
    `TESSERA_BIN="\${TESSERA_BIN:-${o.tesseraCommand}}"`,
    '$TESSERA_BIN train-job "$PWD"',
    ''
  ].join('\n')
}
