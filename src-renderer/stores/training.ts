// MCM+KD runs of the open project: history, the selected run's detail (loss curve, checkpoints, evaluation),
// start / cancel / resume. While a run's job reports progress, its detail is re-read at most once a second.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { call } from '../bridge/index'
import type { McmConfigInput, McmRun, McmRunDetail } from '../../src-shared/contracts/train'

const REFRESH_MS = 1000

export const useTrainingStore = defineStore('training', () => {
  const runs = ref<McmRun[]>([])
  const selected = shallowRef<McmRunDetail | null>(null)
  const error = ref<string | null>(null)
  let lastRefresh = 0
  let refreshTimer: ReturnType<typeof setTimeout> | null = null

  async function load(projectId: number): Promise<void> {
    try {
      runs.value = await call('run.list', { projectId })
      error.value = null
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  async function select(id: number | null): Promise<void> {
    if (id === null) {
      selected.value = null
      return
    }
    try {
      selected.value = await call('run.get', { id })
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  /** Start a run; the new run becomes the selected one. Rejects with the core's validation message. */
  async function start(projectId: number, student: string, teacher: string, config: McmConfigInput): Promise<void> {
    const { run } = await call('train.start', { projectId, student, teacher, config })
    await load(projectId)
    await select(run.id)
  }

  async function cancel(run: McmRun): Promise<void> {
    await call('job.cancel', { id: run.jobId })
    await refresh(run.projectId)
  }

  async function resume(run: McmRun): Promise<void> {
    await call('train.resume', { id: run.id })
    await refresh(run.projectId)
  }

  async function refresh(projectId: number): Promise<void> {
    lastRefresh = Date.now()
    await load(projectId)
    if (selected.value) await select(selected.value.id)
  }

  /** Called on every job event: re-read the selected run when the event is about its job (throttled). */
  function onJobEvent(jobId: number, projectId: number): void {
    if (!runs.value.some((r) => r.jobId === jobId)) return
    const wait = REFRESH_MS - (Date.now() - lastRefresh)
    if (refreshTimer) return
    refreshTimer = setTimeout(() => {
      refreshTimer = null
      void refresh(projectId)
    }, Math.max(0, wait))
  }

  return { runs, selected, error, load, select, start, cancel, resume, refresh, onJobEvent }
})
