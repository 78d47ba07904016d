// Registry of job kinds. Each kind lives in its own module and is loaded only inside a runner process.
import type { JobKind } from '../jobs/job-context'

export const jobKinds: Record<string, { resumable: boolean; load: () => Promise<JobKind> }> = {
  'diagnostic.count': { resumable: true, load: async () => (await import('./diagnostic-count')).diagnosticCount },
  'features.extract': { resumable: true, load: async () => (await import('./features-extract')).featuresExtract },
  'train.mcm': { resumable: true, load: async () => (await import('./train-mcm')).trainMcm },
  'mcm.inspect': { resumable: false, load: async () => (await import('./mcm-inspect')).mcmInspect },
  'demo.cohort': { resumable: false, load: async () => (await import('./demo-cohort')).demoCohort },
  'demo.models': { resumable: false, load: async () => (await import('./demo-models')).demoModels },
  'eval.mil': { resumable: false, load: async () => (await import('./eval-mil')).evalMil }
}
