// Downstream MIL evaluations of the open project: past eval.mil jobs, start one, read a finished job's report.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { call } from '../bridge/index'
import type { Job } from '../../src-shared/domain/types'
import type { EvalReport, EvalStartInput, SlideLabel } from '../../src-shared/contracts/eval'

export const useEvaluationStore = defineStore('evaluation', () => {
  const jobs = ref<Job[]>([])
  const report = shallowRef<EvalReport | null>(null)
  const reportJobId = ref<number | null>(null)
  const labels = ref<SlideLabel[]>([])
  const error = ref<string | null>(null)

  async function load(projectId: number): Promise<void> {
    try {
      jobs.value = await call('job.list', { projectId, kind: 'eval.mil' })
      labels.value = await call('labels.list', { projectId })
      error.value = null
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  /** Start an evaluation job; rejects with the core's message (e.g. no labels, missing features). */
  async function start(request: EvalStartInput): Promise<Job> {
    const job = await call('eval.start', request)
    await load(request.projectId)
    return job
  }

  async function openReport(jobId: number): Promise<void> {
    reportJobId.value = jobId
    report.value = null
    try {
      report.value = await call('eval.report', { jobId })
      error.value = null
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  return { jobs, report, reportJobId, labels, error, load, start, openReport }
})
