// The main job: the whole MCM+KD pipeline on the bundled synthetic demo cohort, step by step through the one API
// (every heavy step is a job in a child process), reusing cached work on a second run and saying so.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { VERSION } from '../core/version'
import { isAbsolute, join, resolve } from 'node:path'
import type { Core } from '../core/core'
import type { Job, ModelRecord, Project } from '../../src-shared/domain/types'
import type { EvalReport } from '../../src-shared/contracts/eval'
import { McmConfig, type McmRun, type McmRunDetail } from '../../src-shared/contracts/train'
import type { CohortRecipe } from '../cohort/recipe'
import { TRUTH_JSON } from '../cohort/generate'
import { configCovers, demoMcmConfig } from './demo-mcm-config'
import { preregisteredOutcome, type PreregisteredOutcome } from './preregistered-outcome'

const sha256File = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')

export interface DemoOptions {
  outDir: string
  cacheDir: string
  seed: number
  /** 'full' (default): the pre-registered design (resources/demo/PREREGISTRATION.md); 'smoke': small models, a pipeline check */
  profile?: 'full' | 'smoke'
  /** follow a job to its end with progress (the CLI draws bars on stderr) */
  follow(job: Job): Promise<Job>
  log(line: string): void
}

export interface DemoResult {
  outDir: string
  report: EvalReport
  timings: Record<string, number>
  cacheHits: string[]
  computed: string[]
  runId: number
  finetunedModel: string
  /** largest peak RSS of the job processes this run started (MiB) */
  peakRssMiB: number
  /** the full profile: the verdict of the pre-registered rule on this report (null for --smoke) */
  preregistered: PreregisteredOutcome | null
}

interface ModelsJobResult {
  dir: string
  reused: boolean
  student: DemoModelEntry
  teacher: DemoModelEntry
}

interface DemoModelEntry {
  name: string
  arch: string
  /** the input edge the model was trained at (a ResNet's weights do not say it: the import must be told) */
  inputSize: number
  weights: string
  weightHash: string
}

/** Recipe shipped with the app: the demo grid (patch size, mpp) comes from it, not from literals here. */
function cohortRecipe(root: string): CohortRecipe {
  return JSON.parse(readFileSync(join(root, 'resources', 'demo', 'cohort-recipe.json'), 'utf8')) as CohortRecipe
}

export async function runDemo(core: Core, appRoot: string, o: DemoOptions): Promise<DemoResult> {
  const timings: Record<string, number> = {}
  const cacheHits: string[] = []
  const computed: string[] = []
  const call = core.dispatch
  let peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024)
  const follow = async (job: Job): Promise<Job> => {
    const done = await o.follow(job)
    peakRssMiB = Math.max(peakRssMiB, Number(done.result?.['peakRssMiB'] ?? 0))
    return done
  }
  async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    o.log(`\n== ${name}`)
    const t0 = performance.now()
    const r = await fn()
    timings[name] = Math.round((performance.now() - t0) / 10) / 100
    return r
  }
  const outDir = resolve(o.outDir)
  mkdirSync(outDir, { recursive: true })
  const profile = o.profile ?? 'full'
  const recipe = cohortRecipe(appRoot)
  const grid = { targetMpp: recipe.params.mpp, patchSize: recipe.params.patchSize, overlap: 0, minTissue: 0.5 }

  const cohort = await step('cohort', async () => {
    const job = await follow(core.jobs.start('demo.cohort', null, { outDir: join(o.cacheDir, `cohort-${o.seed}`), seed: o.seed }))
    const r = job.result as { dir: string; labelsCsv: string; reused: boolean; slides: number }
    ;(r.reused ? cacheHits : computed).push(`cohort (${r.slides} slides)`)
    o.log(r.reused ? `reused cohort in ${r.dir}` : `generated ${r.slides} slides in ${r.dir}`)
    return r
  })

  const models = await step('demo models', async () => {
    const job = await follow(core.jobs.start('demo.models', null, { outDir: join(o.cacheDir, profile === 'full' ? 'models' : `models-${profile}`), profile }))
    const r = job.result as unknown as ModelsJobResult
    ;(r.reused ? cacheHits : computed).push('demo student + teacher weights')
    return r
  })

  const project = await step('project + slides + labels', async () => {
    const name = profile === 'full' ? `demo-seed-${o.seed}` : `demo-${profile}-seed-${o.seed}`
    const existing = ((await call('project.list', {})) as Project[]).find((p) => p.name === name)
    const p = existing ?? ((await call('project.create', { name })) as Project)
    // pinned: the demo's grids (and its cached features, runs, evaluation) were built with the saturation mask; the
    // default method (combined) changes 8 of its 40 slides' grids (13,714 → 13,724 patches; scripts/tissue-methods.ts)
    await call('project.setTissue', { id: p.id, tissue: { method: 'otsu-saturation' } })
    // re-adding is cheap (content keys) and keeps labels; it picks up a regenerated cohort
    const added = (await call('slide.add', { projectId: p.id, paths: [cohort.dir] })) as { added?: unknown[]; failed?: unknown[] }
    const failed = added.failed?.length ?? 0
    if (failed > 0) throw new Error(`${failed} demo slides could not be added: ${JSON.stringify(added.failed).slice(0, 400)}`)
    // slides of an older cohort (another recipe) would make slide names ambiguous for the labels
    for (const stale of ((await call('slide.list', { projectId: p.id })) as { id: number; path: string }[]).filter((sl) => !sl.path.startsWith(cohort.dir))) {
      await call('slide.remove', { id: stale.id })
    }
    ;(existing ? cacheHits : computed).push('project + slides')
    o.log(`${existing ? 'reused' : 'created'} project "${name}"; ${added.added?.length ?? 0} slides registered`)
    await call('labels.import', { projectId: p.id, csvPath: cohort.labelsCsv })
    return p
  })

  async function registered(name: string, m: DemoModelEntry, kind: 'student' | 'teacher'): Promise<string> {
    const all = (await call('model.list', {})) as ModelRecord[]
    const hit = all.find((m) => m.name === name)
    if (hit) return hit.name
    const rec = (await call('model.import', { file: isAbsolute(m.weights) ? m.weights : join(models.dir, m.weights), name, arch: m.arch, inputSize: m.inputSize, kind })) as ModelRecord
    return rec.name
  }
  const student = await registered(`${models.student.name}-${models.student.weightHash.slice(0, 8)}`, models.student, 'student')
  const teacher = await registered(`${models.teacher.name}-${models.teacher.weightHash.slice(0, 8)}`, models.teacher, 'teacher')

  // compute figures (parameters, GFLOPs/patch, patches/s measured here) are kept with the cache so a cached rerun
  // still reports the throughput that was measured when the features were computed
  const computeFile = join(o.cacheDir, `compute-${o.seed}.json`)
  const compute: Record<string, { parameters: number | null; gflops_per_patch: number | null; patches_per_s: number | null }> = existsSync(computeFile)
    ? (JSON.parse(readFileSync(computeFile, 'utf8')) as typeof compute)
    : {}
  async function features(label: string, model: string): Promise<void> {
    await step(`features: ${label}`, async () => {
      const job = await follow((await call('features.extract', { projectId: project.id, model, grid, dtype: 'float16' })) as Job)
      const r = job.result as { computed: number; skipped: number; patchesPerSecond: number | null; parameters: number | null; gflopsPerPatch: number | null }
      if (r.computed > 0 || !compute[model]) {
        compute[model] = { parameters: r.parameters, gflops_per_patch: r.gflopsPerPatch, patches_per_s: r.computed > 0 ? r.patchesPerSecond : (compute[model]?.patches_per_s ?? null) }
        writeFileSync(computeFile, JSON.stringify(compute, null, 2))
      }
      if (r.computed === 0) cacheHits.push(`${label} features (${r.skipped} slides cached)`)
      else computed.push(`${label} features (${r.computed} slides)`)
      o.log(`${label}: ${r.computed} slides encoded, ${r.skipped} from the cache${r.patchesPerSecond ? `, ${r.patchesPerSecond.toFixed(0)} patches/s` : ''}`)
    })
  }
  await features('teacher', teacher)
  await features('baseline student', student)

  const run = await step('MCM+KD fine-tuning (1 epoch) + frozen-student control', async () => {
    const config = demoMcmConfig(o.seed, grid, join(cohort.dir, TRUTH_JSON))
    const runs = (await call('run.list', { projectId: project.id })) as McmRun[]
    const same = runs.find((r) => r.status === 'succeeded' && r.student === student && r.teacher === teacher && r.outputModel && configCovers(r.config, McmConfig.parse(config)))
    if (same) {
      cacheHits.push(`fine-tuning run ${same.id}`)
      o.log(`reused fine-tuning run ${same.id} (same student, teacher and run config)`)
      return same
    }
    const started = (await call('train.start', { projectId: project.id, student, teacher, config })) as { run: McmRun; job: Job }
    await follow(started.job)
    computed.push(`fine-tuning run ${started.run.id}`)
    return (await call('run.list', { projectId: project.id }) as McmRun[]).find((r) => r.id === started.run.id) as McmRun
  })
  const finetuned = run.outputModel
  if (!finetuned) throw new Error(`fine-tuning run ${run.id} produced no model`)
  await features('fine-tuned student', finetuned)

  // endpoint E4 of the pre-registration: the 5-fold CV repeated over three split seeds (the run seed and the next two)
  const evalSeeds = [o.seed, o.seed + 1, o.seed + 2]
  const report = await step('MIL evaluation (ABMIL, patient-level 5-fold CV × 3 split seeds)', async () => {
    // the evaluation is cached by everything that determines it: the three models' weights, labels, grid, seed, and the
    // fine-tuning run's id and held-out figures (its report section; a run with new figures must not print stale ones)
    const all = (await call('model.list', {})) as ModelRecord[]
    const weightsOf = (name: string): string | null => all.find((m) => m.name === name)?.weightsHash ?? null
    const runFigures = ((await call('run.get', { id: run.id })) as McmRunDetail).evaluation
    const key = createHash('sha256')
      .update(JSON.stringify({ v: VERSION, models: [student, finetuned, teacher].map(weightsOf), labels: sha256File(cohort.labelsCsv), grid, seeds: evalSeeds, folds: 5, aggregator: 'abmil', run: { id: run.id, figures: runFigures }, preregistration: profile === 'full' ? sha256File(join(appRoot, 'resources', 'demo', 'PREREGISTRATION.md')) : null }))
      .digest('hex')
      .slice(0, 16)
    const evalDir = join(o.cacheDir, 'evals', key)
    if (existsSync(join(evalDir, 'report.json'))) {
      cacheHits.push('MIL evaluation (same models, labels and seed)')
      o.log(`reused the evaluation in ${evalDir}`)
    } else {
      await follow(
        (await call('eval.start', {
          projectId: project.id,
          models: [student, finetuned, teacher],
          roles: { [student]: 'baseline', [finetuned]: 'finetuned', [teacher]: 'teacher' },
          aggregator: 'abmil',
          folds: 5,
          seeds: evalSeeds,
          out: evalDir,
          force: true,
          finetuneRunId: run.id,
          // the pre-registered design only: its SHA-256 goes into report.json (finetune.preregistration_sha256)
          ...(profile === 'full' ? { preregistration: join(appRoot, 'resources', 'demo', 'PREREGISTRATION.md') } : {}),
          compute: Object.fromEntries([student, finetuned, teacher].filter((m) => compute[m]).map((m) => [m, compute[m]]))
        })) as Job
      )
      computed.push('MIL evaluation')
    }
    rmSync(join(outDir, 'evaluation'), { recursive: true, force: true })
    cpSync(evalDir, join(outDir, 'evaluation'), { recursive: true })
    return JSON.parse(readFileSync(join(evalDir, 'report.json'), 'utf8')) as EvalReport
  })

  await step('exports', async () => {
    for (const f of ['report.html', 'report.json', 'report.csv']) {
      const src = join(outDir, 'evaluation', f)
      if (existsSync(src)) copyFileSync(src, join(outDir, f))
    }
    await call('model.export', { model: finetuned, format: 'safetensors', out: join(outDir, 'model'), force: true })
    await call('features.export', { projectId: project.id, model: finetuned, format: 'h5', out: join(outDir, 'features'), force: true })
  })

  const preregistered = profile === 'full' ? preregisteredOutcome(report) : null
  const summary = { timings, cacheHits, computed, runId: run.id, finetunedModel: finetuned, peakRssMiB, preregistered }
  writeFileSync(join(outDir, 'demo-summary.json'), JSON.stringify(summary, null, 2))
  return { outDir, report, ...summary }
}
