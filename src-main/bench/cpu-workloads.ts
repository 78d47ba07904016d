// The CPU bench's workloads (cpu.ts): what each one is, the PyTorch config of the same work, and how Tessera runs it.
// Each runs in its own child process (cpu-child.ts) so its peak RSS is its own. The MCM+KD cases are built from the
// configs the demo really runs (demo-mcm-config.ts over the trainer's defaults, demo-models.ts' student and teacher), so
// a change of the demo's recipe moves the bench with it; PyTorch gets the shape Tessera's trainer actually built.
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { McmConfig, type McmConfigInput } from '../../src-shared/contracts/train'
import { demoMcmConfig } from '../demo/demo-mcm-config'
import { DEFAULT_MODELS_SEED, demoModelsRecipe, type DemoModelSpec } from '../ml/demo/demo-models'
import { selectBackend } from '../ml/backend'
import { buildBatch } from '../ml/mcm/batch'
import { maskedCount, trainingMask } from '../ml/mcm/masking'
import type { McmModels } from '../ml/mcm/models'
import type { NamedParam } from '../ml/mcm/params'
import { SyntheticCohort } from '../ml/mcm/synthetic-cohort'
import { teacherTargets } from '../ml/mcm/targets'
import { McmTrainer } from '../ml/mcm/trainer'
import { trainingPlan } from '../ml/mcm/windows'
import { ZooStudent } from '../ml/mcm/zoo-student'
import { createModel } from '../ml/models/zoo'
import { peakRssMiB } from './harness'
import { randomBatch, trainRate } from './ml'

/** The student/teacher part of a demo model spec that decides its shape. */
export type NetSpec = Pick<DemoModelSpec, 'arch' | 'width' | 'depth'>

export interface McmCase {
  key: string
  what: string
  student: NetSpec
  patch: number
  teacher: NetSpec
  /** run config over the trainer's defaults (backend, steps and data are added by the runner) */
  config: McmConfigInput
  /** Tessera steps (median of all but the first) and PyTorch timed iterations (after one warm-up) */
  steps: number
  torchIters: number
}

export type CpuWorkload =
  | { kind: 'forward'; key: string; what: string; size: number; batch: number; iters: number }
  | { kind: 'train'; key: string; what: string; size: number; batch: number; microBatch: number; workers: number; steps: number; nativeThreads?: number }
  | { kind: 'mcm'; key: string; what: string; mcm: McmCase }

/** Feature dim of a zoo net without building it (resnet18/34: 512; smallcnn: width · 2^min(depth−1, 3)). */
export function featureDim(n: NetSpec): number {
  if (n.arch === 'resnet18' || n.arch === 'resnet34') return 512
  return (n.width ?? 16) * 2 ** Math.min((n.depth ?? 3) - 1, 3)
}

const demoPatchSize = (): number => {
  const file = fileURLToPath(new URL('../../resources/demo/cohort-recipe.json', import.meta.url))
  return (JSON.parse(readFileSync(file, 'utf8')) as { params: { patchSize: number } }).params.patchSize
}

/**
 * The MCM+KD cases: the demo's shape (`npm run demo`: ResNet-18 student, ResNet-34 teacher, the demo's patch size and
 * run config = the trainer's defaults), the `tessera demo --smoke` shape (the smoke profile's smallcnn pair, same run
 * config) and a ResNet-18 student @224 with 2 windows (the large case). The demo case is in --quick too: the
 * demo's time budget depends on it.
 */
export function mcmCases(quick: boolean): McmCase[] {
  const full = demoModelsRecipe(DEFAULT_MODELS_SEED, 'full'), smoke = demoModelsRecipe(DEFAULT_MODELS_SEED, 'smoke')
  const patch = demoPatchSize()
  // the demo's run config; the grid and the truth file only matter to the demo's data and probe, not to a step
  const demoRun = demoMcmConfig(1, { patchSize: patch }, 'unused') as McmConfigInput
  const cases: McmCase[] = [
    { key: `demo_${full.student.arch}_${patch}_${McmConfig.parse(demoRun).batchWindows}win`, what: `MCM+KD step, demo shape (${full.student.arch} @${patch}, demo run config)`,
      student: full.student, teacher: full.teacher, patch, config: demoRun, steps: 5, torchIters: 3 },
    { key: `smoke_${smoke.student.arch}_${patch}_${McmConfig.parse(demoRun).batchWindows}win`, what: `MCM+KD step, --smoke shape (${smoke.student.arch} ${smoke.student.width}×${smoke.student.depth} @${patch})`,
      student: smoke.student, teacher: smoke.teacher, patch, config: demoRun, steps: 8, torchIters: 6 }
  ]
  if (!quick) {
    cases.push({ key: 'resnet18_224_2win', what: 'MCM+KD step, ResNet-18 student @224, 2 windows', student: { arch: 'resnet18' }, teacher: { arch: 'resnet34' },
      patch: 224, config: { batchWindows: 2 }, steps: 4, torchIters: 3 })
  }
  return cases
}

/** The full run config of a case as the runner trains it (synthetic cohort big enough for `steps` full batches). */
export function mcmRunConfig(c: McmCase): McmConfig {
  const windows = McmConfig.parse(c.config).batchWindows * c.steps
  // a 16×16 grid with the default stride 2 holds ~49 full 4×4 windows per slide
  const slides = Math.max(2, Math.ceil(windows / 40))
  return McmConfig.parse({
    ...c.config, seed: 1, backend: 'wasm', maxSteps: c.steps, checkpointEvery: 1000,
    data: { source: 'synthetic', synthetic: { slides, cols: 16, rows: 16, holes: 0, patchSize: c.patch, teacherDim: featureDim(c.teacher) } }
  })
}

/** Visible student images per step of a run config. */
export function visiblePerStep(cfg: McmConfig): number {
  const s = cfg.window.size
  return cfg.batchWindows * (s * s - maskedCount(s, cfg.mask.ratio))
}

const cpuSeconds = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }

export interface WorkloadResult {
  /** images (or visible patches) per second of wall time */
  rate: number
  /** the same per CPU-second of the whole process, all threads */
  perCpu: number
  /** for MCM cases: the shape the trainer built, handed to PyTorch as is */
  shape?: McmShape
  /** for MCM cases: median ms to build one step's batch (inside the step on Tessera's side only) */
  batchBuildMs?: number
  /** for MCM cases: the process's peak RSS at the last step, before the trainer's final checkpoint (which holds every
   * weight and Adam moment in JS once more, ~3 × the parameters: PyTorch's side writes none) */
  stepsPeakRssMiB?: number
}

/** What PyTorch needs to run the same MCM+KD step (scripts/reference/bench_torch.py mcm_step), snake_case for Python. */
export interface McmShape {
  key: string
  student: string
  width?: number | undefined
  depth?: number | undefined
  student_dim: number
  patch: number
  window: number
  windows: number
  masked_per_window: number
  teacher_dim: number
  freeze_bn: boolean
  predictor: { width: number; depth: number; heads: number; mlp_ratio: number; input_norm: boolean }
  optim: { lr_student: number; lr_predictor: number; weight_decay: number; beta1: number; beta2: number; eps: number; clip_norm: number; clip_scope: string }
  /** trainable parameter counts of the models Tessera built (PyTorch reports its own: the bench compares them) */
  parameters: { student: number; predictor: number }
}

const count = (ps: readonly NamedParam[]): number => ps.reduce((a, p) => a + p.variable.size, 0)

/** The shape of the step Tessera's trainer runs for this case: read off the models it built, not re-derived. */
export function mcmShape(c: McmCase, cfg: McmConfig, models: McmModels, teacherDim: number): McmShape {
  const p = models.predictor.opts
  return {
    key: c.key, student: c.student.arch, width: c.student.width, depth: c.student.depth, student_dim: models.student.featureDim, patch: c.patch,
    window: cfg.window.size, windows: cfg.batchWindows, masked_per_window: maskedCount(cfg.window.size, cfg.mask.ratio), teacher_dim: teacherDim,
    freeze_bn: cfg.freezeBnStats,
    predictor: { width: p.width, depth: p.depth, heads: p.heads, mlp_ratio: p.mlpRatio, input_norm: p.inputNorm !== false },
    optim: { lr_student: cfg.optim.lrStudent, lr_predictor: cfg.optim.lrPredictor, weight_decay: cfg.optim.weightDecay, beta1: cfg.optim.beta1,
      beta2: cfg.optim.beta2, eps: cfg.optim.eps, clip_norm: cfg.optim.clipNorm, clip_scope: cfg.optim.clipScope },
    parameters: { student: count(models.student.params), predictor: count([...models.predictor.params, ...models.kdHead]) }
  }
}

async function forward(w: Extract<CpuWorkload, { kind: 'forward' }>): Promise<WorkloadResult> {
  await selectBackend('wasm')
  const model = createModel('resnet18')
  const x = tf.randomNormal([w.batch, w.size, w.size, 3]) as tf.Tensor4D
  const run = async (): Promise<void> => { const y = tf.tidy(() => model.apply(x, false)); await y.data(); y.dispose() }
  await run()
  const t0 = performance.now(), c0 = cpuSeconds()
  for (let i = 0; i < w.iters; i++) await run()
  const out = { rate: (w.batch * w.iters) / ((performance.now() - t0) / 1000), perCpu: (w.batch * w.iters) / (cpuSeconds() - c0) }
  x.dispose(); model.dispose()
  return out
}

async function train(w: Extract<CpuWorkload, { kind: 'train' }>): Promise<WorkloadResult> {
  const batch = randomBatch({ x: [w.batch, w.size, w.size, 3], target: [w.batch, 512] })
  const r = await trainRate('feature-regression', { arch: 'resnet18' }, batch, w.workers, w.microBatch, w.steps)
  return { rate: r.rate, perCpu: r.ratePerCpuSecond }
}

/** Visible patches per second of McmTrainer steps (median step after the first; per CPU-second over those steps). */
async function mcm(c: McmCase, workDir: string): Promise<WorkloadResult> {
  await selectBackend('wasm')
  const cfg = mcmRunConfig(c)
  const source = new SyntheticCohort(cfg.data.synthetic)
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225]
  const model = createModel(c.student.arch, { seed: 1, inputSize: c.patch, ...(c.student.width ? { width: c.student.width } : {}), ...(c.student.depth ? { depth: c.student.depth } : {}) })
  const targets = teacherTargets(source, cfg)
  const stepMs: number[] = [], stepCpu: number[] = []
  let last = Date.now(), stepsPeak = NaN
  const trainer = new McmTrainer({
    cfg, source, targets, plan: trainingPlan(source.slides(), cfg), phase: 'main', studentName: c.student.arch,
    studentFactory: () => new ZooStudent(model, c.patch, mean, std),
    checkpointDir: join(workDir, `cpu-mcm-${c.key}-${Date.now()}`),
    onStep: () => { const now = Date.now(); stepMs.push(now - last); stepCpu.push(cpuSeconds()); stepsPeak = peakRssMiB(); last = now }
  })
  if (trainer.totalSteps < c.steps) throw new Error(`MCM case ${c.key}: the synthetic plan holds ${trainer.totalSteps} steps, not ${c.steps}`)
  const shape = mcmShape(c, cfg, trainer.models, targets.space.dim)
  await trainer.run()
  trainer.dispose()
  // a difference PyTorch's side does not have (it reuses one input tensor): building each step's batch from the
  // synthetic cohort (patch synthesis, augmentation, placement) runs inside Tessera's step; measured here on its own
  const plan = trainingPlan(source.slides(), cfg)
  const buildMs: number[] = []
  for (let step = 0; step < 3; step++) {
    const from = step * cfg.batchWindows
    const items = plan.slice(from, from + cfg.batchWindows).map((window, i) => ({ window, mask: trainingMask(cfg, window, from + i), augmentKey: from + i }))
    const t0 = performance.now()
    await buildBatch(source, targets, items, cfg, { mean, std })
    buildMs.push(performance.now() - t0)
  }
  const sorted = stepMs.slice(1).sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN
  const visible = visiblePerStep(cfg)
  const cpu = (stepCpu[stepCpu.length - 1] ?? NaN) - (stepCpu[0] ?? NaN)
  return { rate: (visible / median) * 1000, perCpu: (visible * (stepCpu.length - 1)) / cpu, shape, batchBuildMs: buildMs.sort((a, b) => a - b)[1] as number, stepsPeakRssMiB: stepsPeak }
}

export function runWorkload(w: CpuWorkload, workDir: string): Promise<WorkloadResult> {
  if (w.kind === 'forward') return forward(w)
  if (w.kind === 'train') return train(w)
  return mcm(w.mcm, workDir)
}
