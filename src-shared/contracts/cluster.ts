// Contract of cluster work folders: export feature extraction for a SLURM job array, follow it, import the shards.
import { z } from 'zod'
import { method } from './define'
import { gridParamsSchema } from './features'

const id = z.number().int().positive()
const modelRef = z.union([id, z.string().min(1)])

export interface ClusterExportReply {
  dir: string
  workId: string
  slides: number
  patches: number
  shards: { task: number; slides: number; patches: number }[]
  /** slides left out, shard count reduced … */
  notes: string[]
  /** the command that submits the array */
  submit: string
}

export interface ClusterImportReply {
  dir: string
  workId: string
  model: string
  complete: boolean
  imported: { slide: string; task: number; count: number; dim: number }[]
  alreadyCached: { slide: string; task: number }[]
  /** tasks without a finished manifest, and why */
  incompleteTasks: { task: number; reason: string }[]
  failedSlides: { task: number; slide: string; error: string }[]
  /** exported slides no project of this database holds any more */
  notInDatabase: { slide: string; contentKey: string }[]
  /** the exact sbatch line that re-runs the missing or failed tasks */
  rerun: string | null
}

export interface ClusterTaskStatus {
  task: number
  state: 'pending' | 'running' | 'complete' | 'failed' | 'cancelled'
  slides: number
  done: number
  failed: number
  patches: number
  seconds: number
  backend: string | null
  host: string | null
  jobId: string | null
  updatedAt: string | null
  problems: string[]
}

export interface ClusterStatusReply {
  dir: string
  workId: string
  model: string
  tasks: ClusterTaskStatus[]
  complete: boolean
  rerun: string | null
  /** `squeue`/`sacct` lines for this work's jobs, or why they are not shown */
  squeue: string[] | string
  sacct: string[] | string
}

const sbatchSchema = z.strictObject({
  partition: z.string().regex(/^[A-Za-z0-9_,.-]+$/).optional(),
  account: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional(),
  gpus: z.number().int().min(0).max(64).optional(),
  cpus: z.number().int().min(1).max(1024).optional(),
  time: z.string().regex(/^[0-9:-]+$/).optional(),
  mem: z.string().regex(/^[0-9]+[KMGT]?$/).optional(),
  dependency: z.string().regex(/^[A-Za-z0-9:_,?+-]+$/).optional()
})

export const clusterContract = {
  'cluster.export': method<ClusterExportReply>()(
    z.strictObject({
      projectId: id,
      model: modelRef,
      /** work folder to create, on storage the cluster nodes see */
      to: z.string().min(1),
      shards: z.number().int().min(1).max(100_000).optional(),
      slideIds: z.array(id).optional(),
      grid: gridParamsSchema.optional(),
      dtype: z.enum(['float16', 'float32']).optional(),
      batchSize: z.number().int().min(1).max(1024).optional(),
      readers: z.number().int().min(1).max(32).optional(),
      provider: z.enum(['auto', 'cpu', 'cuda']).optional(),
      sbatch: sbatchSchema.optional(),
      force: z.boolean().default(false)
    }),
    'Write a self-contained SLURM work folder (slides, grids, model bundle, shard plan, submit.sbatch) for feature extraction'
  ),
  'cluster.status': method<ClusterStatusReply>()(
    z.strictObject({ dir: z.string().min(1), verify: z.boolean().default(false) }),
    'Progress of a work folder from its shard manifests (and squeue/sacct where present)'
  ),
  'cluster.import': method<ClusterImportReply>()(
    z.strictObject({ dir: z.string().min(1) }),
    'Verify every shard of a work folder and fill the feature cache as if extracted here'
  )
} as const
