// Orchestrates one MCM+KD run: split → plan → main phase → frozen-student control → held-out evaluation (before,
// after, control, visible-mean baseline) → inspection data → exported student. Each phase resumes from its checkpoints.
import { selectBackend } from '../backend'
import { join } from 'node:path'
import type { ErrorMap, InspectedWindow, LossPoint, McmConfig, McmEvaluation } from '../../../src-shared/contracts/train'
import type { BatchInput } from './batch'
import type { SaveHooks } from './checkpoint'
import type { McmDataSource } from './data-source'
import { errorMaps, evaluateModels, inspectedWindows, visibleMeanBaseline } from './evaluate'
import { writeStudentExport, type ExportedStudent } from './export'
import { heldOutMask, planImages } from './masking'
import { createModels } from './models'
import { readParams } from './params'
import { describeTargets, teacherTargets } from './targets'
import { teacherProbe, type ProbeCell, type TeacherProbe } from './teacher-probe'
import { loadPatchTruth } from './patch-truth'
import { configHash, McmTrainer, type Phase } from './trainer'
import { heldOutWindows, patientsOf, splitSlides, totalSteps, trainingPlan, type ContextWindow } from './windows'
import { patchKdPlan } from './patch-kd'
import { warmupSteps, warmUpPredictor, type WarmupResult } from './warmup'
import type { StudentFactory } from './student'

const LOSS_NAMES: Record<McmConfig['loss']['kind'], string> = { l1: 'L1', 'smooth-l1': 'smooth L1', cosine: 'cosine distance' }

export interface McmRunHooks {
  progress?(fraction: number, message: string, metrics?: Record<string, number>): void
  loss?(p: LossPoint): void
  checkpoint?(c: { phase: Phase; step: number; dir: string; manifestSha256: string }): void
  notice?(message: string): void
  saveHooks?: SaveHooks
  injectNonFiniteAt?: readonly number[]
}

export interface McmRunInput {
  cfg: McmConfig
  source: McmDataSource
  student: string
  /** registered (zoo) students; default: the built-in student named `student` */
  studentFactory?: StudentFactory
  teacher: string
  /** µm/px of the patches (project grids), recorded in the output manifest */
  mpp?: number
  runDir: string
  signal?: AbortSignal
  hooks?: McmRunHooks
}

export interface McmRunOutput {
  evaluation: McmEvaluation
  inspection: { windows: InspectedWindow[]; errorMaps: ErrorMap[] }
  exported: ExportedStudent
  steps: Record<Phase, number>
  trainSlides: string[]
  heldOutSlides: string[]
}

/** The truth probe's look-up: a cell's annotation at the level-0 centre of its grid patch. */
function truthLookup(t: { file: string; channel: string }, source: McmDataSource): { channel: string; of(cell: ProbeCell): number | null } {
  const centre = source.patchCentre?.bind(source)
  if (!centre) throw new Error(`probe.truth: this data source has no slide coordinates to look annotations up by (${JSON.stringify(source.describe()).slice(0, 120)})`)
  const truth = loadPatchTruth(t.file, t.channel)
  return {
    channel: t.channel,
    of: (cell) => {
      const c = centre(cell.slide, cell.index)
      return truth.valueAt(cell.slide, c.x, c.y)
    }
  }
}

export async function runMcm(input: McmRunInput): Promise<McmRunOutput> {
  const { cfg, source, hooks = {} } = input
  // the same selection as everywhere (ml/backend.ts); recorded with the evaluation
  const backend = await selectBackend(cfg.backend)
  hooks.notice?.(`backend: ${backend.name} on ${backend.adapter} (${backend.why})`)
  // a wrong truth file must fail now, not after the training phases
  const truth = cfg.probe.truth && cfg.probe.patches > 0 ? truthLookup(cfg.probe.truth, source) : undefined
  const grids = source.slides()
  const patients = patientsOf(grids)
  const split = splitSlides(grids.map((g) => g.slide), cfg.heldOut, patients)
  const heldOutBy = patients && cfg.heldOut.by === 'patient' ? 'patient' : 'slide'
  hooks.notice?.(`held-out split by ${heldOutBy}: ${split.heldOut.length} of ${grids.length} slides${heldOutBy === 'slide' && cfg.heldOut.by === 'patient' ? ' (not every slide has a patient id)' : ''}`)
  const trainGrids = grids.filter((g) => split.train.includes(g.slide))
  const heldGrids = grids.filter((g) => split.heldOut.includes(g.slide))
  const plan = trainingPlan(trainGrids, cfg)
  if (plan.length === 0) {
    throw new Error(`no full ${cfg.window.size}×${cfg.window.size} tissue windows on the training slides (${split.train.join(', ')}): use a smaller window.size`)
  }
  const held: BatchInput[] = heldOutWindows(heldGrids, cfg).map((window, i) => ({ window, mask: heldOutMask(cfg, i), augmentKey: null }))
  if (held.length === 0) throw new Error(`no full ${cfg.window.size}×${cfg.window.size} windows on the held-out slides (${split.heldOut.join(', ')})`)

  // targets before training: a bad targetPca fails here, not after an epoch
  if (cfg.loss.targetPca > 0) hooks.progress?.(0, `fitting ${cfg.loss.targetPca} principal components of the teacher features`)
  const targetSet = teacherTargets(source, cfg)
  if (targetSet.space.pca) hooks.notice?.(`targets: ${describeTargets(targetSet.space)}`)

  // the main phase's budget, and the per-patch KD ablation matched to it (ml/mcm/patch-kd.ts)
  const mainSteps = totalSteps(plan.length, cfg)
  const budget = { steps: mainSteps, images: planImages(plan, cfg, mainSteps) }
  const kd = cfg.patchKd ? patchKdPlan(cfg, trainGrids, budget.steps, budget.images) : null
  const phases: { phase: Phase; cfg: McmConfig; plan: ContextWindow[] }[] = [
    { phase: 'main', cfg, plan },
    ...(cfg.control ? [{ phase: 'control' as const, cfg, plan }] : []),
    ...(kd ? [{ phase: 'patch-kd' as const, cfg: kd.cfg, plan: kd.plan }] : [])
  ]
  if (kd) hooks.notice?.(`per-patch KD ablation: ${budget.steps} steps of ${kd.batch} single patches (main: ${budget.images} student images in ${budget.steps} steps)`)
  // predictor warm-up on the teacher features alone (ml/mcm/warmup.ts); main and control start from its weights
  let warm: WarmupResult | null = null
  const nWarm = warmupSteps(cfg, mainSteps)
  if (nWarm > 0) {
    hooks.progress?.(0, `predictor warm-up: ${nWarm} steps of masked teacher-from-teacher prediction (no student forward)`)
    const fresh = createModels(cfg, input.student, source.patchSize, targetSet.space.dim, input.studentFactory)
    try {
      warm = await warmUpPredictor({ cfg, source, targets: targetSet, plan, models: fresh, steps: nWarm, ...(input.signal ? { signal: input.signal } : {}) })
    } finally {
      fresh.dispose()
    }
    hooks.notice?.(`predictor warm-up: ${nWarm} steps, final masked loss ${warm.finalLoss.toFixed(4)}; the predictor's input now switches to the student`)
  }
  const share = 0.9 / phases.length
  const trainers: Partial<Record<Phase, McmTrainer>> = {}
  const steps: Record<Phase, number> = { main: 0, control: 0, 'patch-kd': 0 }
  try {
    for (const [pi, { phase, cfg: phaseCfg, plan: phasePlan }] of phases.entries()) {
      const trainer = new McmTrainer({
        cfg: phaseCfg,
        source,
        targets: targetSet,
        plan: phasePlan,
        phase,
        ...(warm && phase !== 'patch-kd' ? { initialPredictor: warm.predictor } : {}),
        studentName: input.student,
        ...(input.studentFactory ? { studentFactory: input.studentFactory } : {}),
        checkpointDir: join(input.runDir, 'checkpoints', phase),
        ...(input.signal ? { signal: input.signal } : {}),
        ...(hooks.saveHooks ? { saveHooks: hooks.saveHooks } : {}),
        ...(hooks.injectNonFiniteAt ? { injectNonFiniteAt: hooks.injectNonFiniteAt } : {}),
        onNotice: (m) => hooks.notice?.(m),
        onCheckpoint: (c) => hooks.checkpoint?.(c),
        onStep: (s) => {
          hooks.loss?.({ phase, step: s.step, loss: s.loss, lr: s.lr, lrStudent: s.lrStudent, gradNormStudent: s.gradNorm.student, gradNormPredictor: s.gradNorm.predictor })
          const eta = s.etaSeconds === null ? '' : ` ETA ${Math.round(s.etaSeconds)}s`
          hooks.progress?.(pi * share + (share * s.step) / s.total, `${phase} step ${s.step}/${s.total} loss ${s.loss.toFixed(4)} lr ${s.lr.toExponential(2)}${eta}`, {
            step: s.step,
            totalSteps: s.total,
            loss: s.loss,
            lr: s.lr,
            patchesPerSecond: s.patchesPerSecond,
            ...(s.etaSeconds === null ? {} : { etaSeconds: s.etaSeconds })
          })
        }
      })
      trainers[phase] = trainer
      const at = trainer.restore()
      if (at > 0) hooks.notice?.(`${phase}: resumed at step ${at}/${trainer.totalSteps}`)
      steps[phase] = (await trainer.run()).steps
    }

    hooks.progress?.(0.9, 'evaluating held-out windows')
    const initial = createModels(cfg, input.student, source.patchSize, targetSet.space.dim, input.studentFactory)
    const main = trainers.main as McmTrainer
    let before: Awaited<ReturnType<typeof evaluateModels>>
    let probe: TeacherProbe | null = null
    try {
      before = await evaluateModels(initial, source, targetSet, held, cfg, input.signal)
      if (cfg.probe.patches > 0) {
        hooks.progress?.(0.95, `teacher probe: ${cfg.probe.patches} training + held-out patches through the student before and after`)
        probe = await teacherProbe({ source, targets: targetSet, trainGrids, heldGrids, before: initial.student, after: main.models.student, patches: cfg.probe.patches, seed: cfg.seed, ...(truth ? { truth } : {}), ...(input.signal ? { signal: input.signal } : {}) })
      }
    } finally {
      initial.dispose()
    }
    let kdProbe: TeacherProbe | null = null
    const kdTrainer = trainers['patch-kd']
    if (kdTrainer && cfg.probe.patches > 0) {
      hooks.progress?.(0.96, 'teacher probe of the per-patch KD student')
      const fresh = createModels(cfg, input.student, source.patchSize, targetSet.space.dim, input.studentFactory)
      try {
        kdProbe = await teacherProbe({ source, targets: targetSet, trainGrids, heldGrids, before: fresh.student, after: kdTrainer.models.student, patches: cfg.probe.patches, seed: cfg.seed, ...(truth ? { truth } : {}), ...(input.signal ? { signal: input.signal } : {}) })
      } finally {
        fresh.dispose()
      }
    }
    const after = await evaluateModels(main.models, source, targetSet, held, cfg, input.signal)
    const control = trainers.control ? await evaluateModels(trainers.control.models, source, targetSet, held, cfg, input.signal) : null
    const baseline = visibleMeanBaseline(targetSet, held)
    const evaluation: McmEvaluation = {
      windows: held.length,
      maskedPatches: after.maskedPatches,
      metric: `masked-patch ${LOSS_NAMES[cfg.loss.kind]} (mean over dims; ${describeTargets(targetSet.space)}; held-out slides ${split.heldOut.join(', ')})`,
      before: before.meanL1,
      after: after.meanL1,
      control: control ? control.meanL1 : null,
      visibleMeanBaseline: baseline,
      ...(probe ? { teacherProbe: probe } : {}),
      backend,
      budget,
      ...(warm ? { predictorWarmup: { steps: warm.steps, finalLoss: warm.finalLoss } } : {}),
      ...(kd ? { patchKd: { steps: steps['patch-kd'], images: steps['patch-kd'] * kd.batch, teacherProbeAfter: kdProbe?.after ?? null, ...(truth ? { truthProbeAfter: kdProbe?.truth?.after ?? null } : {}) } } : {}),
      ...(probe?.truth && cfg.probe.truth
        ? {
            truthProbe: {
              ...probe.truth,
              file: cfg.probe.truth.file,
              metric: `R² of the same ridge read-out from the student's features to the per-patch annotation "${probe.truth.channel}" (${cfg.probe.truth.file}), fitted on the ${probe.truth.fitPatches} annotated probe patches of the training slides, scored on ${probe.truth.testPatches} of the held-out slides; measurement only, never a training target`
            }
          }
        : {})
    }
    const inspection = { windows: inspectedWindows(held, before, after, cfg.inspection.windows), errorMaps: errorMaps(held, after, heldGrids) }

    const identity = main.models.student.zooIdentity?.() ?? {
      arch: main.models.student.kind,
      weightNaming: 'tessera-tfjs',
      options: { featureDim: main.models.student.featureDim }
    }
    const studentTensors = { ...(await readParams(main.models.student.params)), ...(await readParams(main.models.student.state)) }
    const exported = await writeStudentExport(join(input.runDir, 'model'), studentTensors, main.models.student, {
      // registry fields (models/manifest.ts ModelManifestSchema); the worker adds `name`
      format: 'tessera-model/1',
      arch: identity.arch,
      inputSize: main.models.student.inputSize,
      outputDim: main.models.student.featureDim,
      mean: [...main.models.student.mean],
      std: [...main.models.student.std],
      mpp: input.mpp ?? null,
      weightNaming: identity.weightNaming,
      options: identity.options,
      source: { file: join(input.runDir, 'model', 'student.safetensors'), importedAt: new Date().toISOString() },
      tensors: null,
      // provenance
      kind: 'finetuned',
      baseModel: input.student,
      teacher: input.teacher,
      method: 'MCM+KD (Pisula & Bozek, arXiv 2403.05325), re-implementation; predictor dropped',
      data: { ...source.describe(), trainSlides: split.train, heldOutSlides: split.heldOut, heldOutBy, windows: plan.length },
      config: cfg,
      configHash: configHash(cfg),
      backend: backend.name,
      evaluation
    })
    hooks.progress?.(1, `done: held-out masked L1 ${evaluation.before.toFixed(4)} → ${evaluation.after.toFixed(4)}`)
    return { evaluation, inspection, exported, steps, trainSlides: split.train, heldOutSlides: split.heldOut }
  } finally {
    for (const t of Object.values(trainers)) t?.dispose()
  }
}
