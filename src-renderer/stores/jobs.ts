// Live job progress from core events (IPC in Electron, server-sent events over HTTP).
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { onEvent } from '../bridge/index'
import type { JobProgressEvent, JobFinishedEvent } from '../../src-shared/contracts/index'

export const useJobsStore = defineStore('jobs', () => {
  const progress = ref<Record<number, JobProgressEvent>>({})
  const finished = ref<Record<number, JobFinishedEvent>>({})
  const active = ref<JobProgressEvent | null>(null)

  /** Start listening; returns the function that stops. */
  function listen(): () => void {
    return onEvent((event) => {
      if (event.type === 'job.progress') {
        progress.value = { ...progress.value, [event.jobId]: event }
        active.value = event
      } else {
        finished.value = { ...finished.value, [event.jobId]: event }
        if (active.value?.jobId === event.jobId) active.value = null
      }
    })
  }

  return { progress, finished, active, listen }
})
