// CLI: eval --project P --models a,b,c [...] --out DIR → MIL cross-validation, report.html/json/csv, printed table.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Job } from '../../../src-shared/domain/types'
import type { EvalStartInput, ModelRole } from '../../../src-shared/contracts/eval'
import { CliUsageError, intOption, requireString, type CliCommand } from '../command'
import { followJob } from './job'

const roles: readonly ModelRole[] = ['baseline', 'finetuned', 'teacher', 'other']
const backendChoices: readonly string[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']

function list(v: unknown, name: string): string[] {
  if (typeof v !== 'string' || v.trim() === '') throw new CliUsageError(`missing --${name}`)
  return v.split(',').map((s) => s.trim()).filter(Boolean)
}

function numberOption(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new CliUsageError(`--${name} must be a number, got "${String(v)}"`)
  return n
}

function readJson(path: string, option: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new CliUsageError(`--${option} ${path}: ${(e as Error).message}`)
  }
}

export const evalCommands: CliCommand[] = [
  {
    name: 'eval',
    summary: 'Compare feature extractors downstream: MIL k-fold CV per model → report.html, report.json, CSV, heatmaps',
    options: {
      project: { type: 'string' },
      models: { type: 'string' },
      roles: { type: 'string' },
      aggregator: { type: 'string' },
      folds: { type: 'string' },
      seed: { type: 'string' },
      seeds: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      'features-dir': { type: 'string' },
      'grid-key': { type: 'string' },
      backend: { type: 'string' },
      'max-epochs': { type: 'string' },
      patience: { type: 'string' },
      lr: { type: 'string' },
      resamples: { type: 'string' },
      'no-heatmaps': { type: 'boolean' },
      compute: { type: 'string' },
      'finetune-run': { type: 'string' }
    },
    optionHelp: [
      '--project P          project name or id (slides labelled with `tessera labels import`)',
      '--models a,b,c       models to compare: registered names whose features are cached (tessera features extract), or folders under --features-dir',
      '--roles r1,r2,…      role per model: baseline|finetuned|teacher|other (default: guessed from the names)',
      '--aggregator A       abmil (default, gated attention) | mean | max',
      '--folds K            patient-level stratified folds (default 5; the labels CSV fold column wins)',
      '--seed S             seed of splits, init, bag order and bootstrap (default 0): same seed → same numbers',
      '--seeds 1,2,3        repeated CV, one split + MIL training per seed (1-10; replaces --seed): the report\'s figures are the first seed\'s, report.json repeats adds every seed and a paired patient-level bootstrap over seeds',
      '--out DIR            output folder (refused if it exists and is not empty, unless --force)',
      '--force              replace an earlier evaluation export there (other folders are refused)',
      '--features-dir D     read <D>/<model>/<slide>.h5 (TRIDENT/CLAM layout) instead of the feature cache',
      '--grid-key K         pick one grid when the cache holds several for a model (its name from features list)',
      '--backend B          auto (default: the machine\'s selection, see tessera backend) | tensorflow | webgpu | wasm | cpu',
      '--max-epochs N       per fold (default 40), with --patience N (default 8) and --lr X (default 5e-4)',
      '--resamples N        bootstrap resamples for the CIs (default 2000)',
      '--no-heatmaps        skip the per-slide GeoJSON/HDF5 heatmaps',
      '--compute FILE       JSON { model: { parameters, gflops_per_patch, patches_per_s } } measured for the extractors',
      '--finetune-run ID    attach an MCM+KD run (held-out masked L1, loss curve) to the report'
    ],
    async run(ctx, args) {
      const v = args.values
      const core = ctx.core()
      const project = core.projects.resolve(requireString(args, 'project'))
      const models = list(v['models'], 'models')
      let roleMap: Record<string, ModelRole> | undefined
      if (v['roles'] !== undefined) {
        const given = list(v['roles'], 'roles')
        if (given.length !== models.length) throw new CliUsageError(`--roles has ${given.length} entries for ${models.length} models`)
        const bad = given.find((r) => !roles.includes(r as ModelRole))
        if (bad) throw new CliUsageError(`--roles: "${bad}" is not one of ${roles.join(', ')}`)
        roleMap = Object.fromEntries(models.map((m, i) => [m, given[i] as ModelRole]))
      }
      const aggregator = (v['aggregator'] as string | undefined) ?? 'abmil'
      if (!['abmil', 'mean', 'max'].includes(aggregator)) throw new CliUsageError(`--aggregator must be abmil, mean or max, got "${aggregator}"`)
      const backend = (v['backend'] as string | undefined) ?? 'auto'
      if (!backendChoices.includes(backend)) throw new CliUsageError(`--backend must be one of ${backendChoices.join(', ')}, got "${backend}"`)
      const finetuneRun = numberOption(v['finetune-run'], 'finetune-run')
      let seeds: number[] | undefined
      if (v['seeds'] !== undefined) {
        if (v['seed'] !== undefined) throw new CliUsageError('pass either --seed or --seeds, not both (--seeds 1,2,3: the first seed gives the report\'s top-level figures)')
        seeds = list(v['seeds'], 'seeds').map((x) => {
          if (!/^\d+$/.test(x)) throw new CliUsageError(`--seeds must be a comma-separated list of integers ≥ 0, got "${x}"`)
          return Number(x)
        })
      }
      const request: EvalStartInput = {
        projectId: project.id,
        models,
        roles: roleMap,
        aggregator: aggregator as 'abmil' | 'mean' | 'max',
        folds: intOption(args, 'folds', 5),
        seed: seeds ? (seeds[0] as number) : intOption(args, 'seed', 0),
        seeds,
        out: resolve(requireString(args, 'out')),
        force: v['force'] === true,
        featuresDir: typeof v['features-dir'] === 'string' ? resolve(v['features-dir']) : undefined,
        gridKey: typeof v['grid-key'] === 'string' ? v['grid-key'] : undefined,
        backend: backend as EvalStartInput['backend'],
        maxEpochs: v['max-epochs'] === undefined ? undefined : intOption(args, 'max-epochs', 40),
        patience: v['patience'] === undefined ? undefined : intOption(args, 'patience', 8),
        learningRate: numberOption(v['lr'], 'lr'),
        bootstrapResamples: v['resamples'] === undefined ? undefined : intOption(args, 'resamples', 2000),
        heatmaps: v['no-heatmaps'] !== true,
        compute: typeof v['compute'] === 'string' ? (readJson(v['compute'], 'compute') as EvalStartInput['compute']) : undefined,
        finetuneRunId: finetuneRun
      }
      const job = (await core.dispatch('eval.start', request)) as Job
      ctx.log(`evaluation job ${job.id} started → ${request.out}`)
      const done = await followJob(ctx, job)
      return { jobId: done.id, ...(done.result ?? {}) }
    },
    human: (r) => {
      const x = r as { table?: string; outDir?: string }
      return `${x.table ?? ''}\n\nreport: ${x.outDir ?? '?'}/report.html`
    }
  }
]
