// One downstream evaluation, end to end: labelled slides → features per model → identical patient-level folds →
// MIL CV per model → metrics, CIs, paired comparisons → atomic export (report.json/html/csv, heatmaps, manifest).
import { selectBackend, type BackendChoice } from '../backend'
import type { Db } from '../../store/database'
import { labelledSlides, type LabelledSlideRecord } from '../../eval/slide-labels'
import { bagsFromCache, bagsFromFolder, type BagSet } from '../../eval/bag-source'
import { checkInputSizes } from '../../eval/input-sizes'
import { makeSplits, type Splits } from '../../eval/splits'
import { buildReport, foldsCsv, inferRole, modelsCsv, predictionsCsv, printTable, type EvalReport, type FinetuneSummary, type ModelEvaluation, type ModelRole } from '../../eval/report'
import { renderReportHtml } from '../../eval/report-html'
import { heatmapToGeoJSON, writeHeatmapH5 } from '../../eval/heatmaps'
import { ExportStaging } from '../../eval/export-dir'
import { buildRepeats } from '../../eval/repeats'
import { crossValidate, type CrossValidationResult, type FeatureBag } from './cross-validation'
import { defaultMilConfig, type AggregatorName } from './models'
import { defaultTrainOptions } from './train'

export interface EvaluationParams {
  projectId: number
  projectName: string
  models: string[]
  roles?: Partial<Record<string, ModelRole>>
  aggregator: AggregatorName
  folds: number
  seed: number
  /** repeated CV over these split seeds (absent = [seed]); top-level figures are the first seed's */
  seeds?: number[]
  out: string
  force: boolean
  /** folder of `<model>/<slide>.h5`; null = the project's feature cache */
  featuresDir: string | null
  gridKey?: string
  backend: BackendChoice
  learningRate?: number
  maxEpochs?: number
  patience?: number
  hidden?: number
  attentionDim?: number
  bootstrapResamples?: number
  heatmaps: boolean
  compute?: Partial<Record<string, { parameters?: number | null; gflops_per_patch?: number | null; patches_per_s?: number | null }>>
  finetune: FinetuneSummary | null
}

export interface EvaluationHooks {
  signal?: AbortSignal
  progress?: (fraction: number, message: string) => void
}

export interface EvaluationResult {
  outDir: string
  report: EvalReport
  table: string
  files: number
}

/** One seed's cross-validation of every model. */
interface SeedCv {
  seed: number
  splits: Splits
  foldOfSlide: Map<number, number>
  evaluations: ModelEvaluation[]
  results: CrossValidationResult[]
}

const slug = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_')

export async function runEvaluation(db: Db, p: EvaluationParams, hooks: EvaluationHooks = {}): Promise<EvaluationResult> {
  const timings: Record<string, number> = {}
  const timed = async <T>(step: string, f: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now()
    try {
      return await f()
    } finally {
      timings[step] = (timings[step] ?? 0) + (performance.now() - t0) / 1000
    }
  }
  const progress = hooks.progress ?? (() => undefined)
  if (p.models.length === 0) throw new Error('no models to evaluate: pass --models a,b,c')
  if (new Set(p.models).size !== p.models.length) throw new Error(`a model is listed twice: ${p.models.join(', ')}`)
  // Refuse an existing export before hours of training, not after.
  const staging = new ExportStaging(p.out, { force: p.force, generator: 'tessera eval' })
  try {
    const backend = await timed('backend', () => selectBackend(p.backend))
    progress(0.005, `backend: ${backend.name} on ${backend.adapter} (${backend.why})`)
    const slides = await timed('labels', () => labelledSlides(db, p.projectId))
    if (slides.length === 0) throw new Error(`project "${p.projectName}" has no labelled slides: run \`tessera labels import <csv> --project ${p.projectName}\` first`)
    const classes = [...new Set(slides.map((s) => s.label))].sort()
    if (classes.length < 2) throw new Error(`every labelled slide has label "${classes[0]}": need at least 2 classes`)
    const classIndex = new Map(classes.map((c, i) => [c, i]))
    const slidePosition = new Map(slides.map((s, i) => [s.slideId, i]))
    progress(0.01, `${slides.length} labelled slides, classes ${classes.join(', ')}`)

    const sets: BagSet[] = []
    for (const model of p.models) {
      sets.push(await timed('load_features', () => (p.featuresDir ? bagsFromFolder(p.featuresDir, model, slides) : bagsFromCache(db, model, slides, p.gridKey))))
      // Invariant used below (paired tests, predictions.csv, heatmaps): every set holds the labelled slides in one order.
      const loaded = sets[sets.length - 1] as BagSet
      if (loaded.bags.length !== slides.length || loaded.bags.some((b, i) => b.slideId !== slides[i]?.slideId)) {
        throw new Error(`features of ${model} do not cover the ${slides.length} labelled slides in order (internal error)`)
      }
      progress(0.02, `features of ${model} loaded`)
    }
    // a baseline and its fine-tuned copy must have seen the same pixels per patch (eval/input-sizes.ts)
    const inputWarnings = checkInputSizes(sets.map((x) => ({ model: x.model, role: p.roles?.[x.model] ?? inferRole(x.model), inputSize: x.inputSize })))
    for (const w of inputWarnings) progress(0.02, `WARNING: ${w}`)
    const seeds = p.seeds ?? [p.seed]
    const firstSeed = seeds[0] as number
    const options = {
      aggregator: p.aggregator,
      classes: classes.length,
      seed: firstSeed,
      learningRate: p.learningRate ?? defaultTrainOptions.learningRate,
      maxEpochs: p.maxEpochs ?? defaultTrainOptions.maxEpochs,
      patience: p.patience ?? defaultTrainOptions.patience,
      hidden: p.hidden ?? defaultMilConfig.hidden,
      attentionDim: p.attentionDim ?? defaultMilConfig.attentionDim
    }
    const runs: SeedCv[] = []
    // Repeated CV: one patient-level split and one MIL training per seed, seeds one after the other (cost × seeds).
    for (const [si, seed] of seeds.entries()) {
      // One split for every model: the comparison is paired on identical folds.
      const splits: Splits = await timed('splits', () =>
        makeSplits(
          slides.map((s) => ({ slideId: s.slideId, label: classIndex.get(s.label) as number, patientId: s.patientId, fixedFold: s.fold })),
          { k: p.folds, seed }
        )
      )
      const foldOfSlide = new Map<number, number>()
      for (const f of splits.folds) for (const id of f.test) foldOfSlide.set(id, f.fold)
      const run: SeedCv = { seed, splits, foldOfSlide, evaluations: [], results: [] }
      const seedTag = seeds.length > 1 ? `seed ${seed} (${si + 1}/${seeds.length}) · ` : ''
      for (const [mi, set] of sets.entries()) {
        const bags: FeatureBag[] = set.bags.map((b) => ({ ...b, label: classIndex.get((slides[slidePosition.get(b.slideId) as number] as LabelledSlideRecord).label) as number }))
        const done = si * sets.length + mi
        const cv = await timed(`cv_${set.model}`, () =>
          crossValidate(bags, splits, {
            ...options,
            seed,
            signal: hooks.signal,
            onProgress: (f, msg) => progress(0.03 + (0.85 * (done + f)) / (sets.length * seeds.length), `${seedTag}${set.model}: ${msg}`)
          })
        )
        run.results.push(cv)
        const compute = p.compute?.[set.model]
        run.evaluations.push({
          name: set.model,
          role: p.roles?.[set.model] ?? inferRole(set.model),
          features: set.source,
          dim: bags[0]?.dim ?? 0,
          oof: cv.oof,
          foldOf: bags.map((b) => foldOfSlide.get(b.slideId) as number),
          folds: cv.folds.map(({ history: _history, ...row }) => row),
          aggregatorParameters: cv.parameters,
          seconds: cv.seconds,
          parameters: compute?.parameters ?? null,
          gflops_per_patch: compute?.gflops_per_patch ?? null,
          patches_per_s: compute?.patches_per_s ?? null
        })
      }
      runs.push(run)
    }
    // Every top-level figure, export and heatmap describes the first seed's run (as a single-seed evaluation would).
    const { splits, foldOfSlide, evaluations, results } = runs[0] as SeedCv

    progress(0.9, 'statistics')
    const reportOf = (run: SeedCv): EvalReport =>
      buildReport({
        project: p.projectName,
        aggregator: p.aggregator,
        seed: run.seed,
        foldsK: run.splits.k,
        splitMethod: run.splits.method,
        classes,
        nPatients: new Set(slides.map((s) => s.patientId)).size,
        models: run.evaluations,
        finetune: p.finetune,
        timings,
        bootstrapResamples: p.bootstrapResamples
      })
    const report = await timed('statistics', () => reportOf(runs[0] as SeedCv))
    if (p.seeds) {
      const seedRuns = runs.map((run, i) => ({ seed: run.seed, models: run.evaluations, report: i === 0 ? report : reportOf(run) }))
      report.repeats = await timed('statistics', () => buildRepeats(seedRuns, slides.map((s) => s.patientId), { resamples: report.bootstrap_resamples }))
    }
    report.models.forEach((m, i) => (m.input_size = sets[i]?.inputSize ?? null))
    report.warnings = inputWarnings
    report.mil = { ...options, backend: backend.name, backend_adapter: backend.adapter, backend_requested: p.backend, optimizer: 'adam', batch: '1 bag per step', class_weighting: 'inverse frequency (training bags)', early_stopping: 'inner validation loss, best weights restored' }

    progress(0.93, 'writing exports')
    await timed('exports', async () => {
      const slideList = slides.map((s) => ({ slideId: s.slideId, name: s.name }))
      staging.write('splits.json', JSON.stringify(splits, null, 2) + '\n')
      if (p.seeds) {
        // every seed's splits and out-of-fold predictions, so the over-seeds figures can be recomputed
        for (const run of runs) {
          staging.write(`repeats/seed-${run.seed}/splits.json`, JSON.stringify(run.splits, null, 2) + '\n')
          staging.write(`repeats/seed-${run.seed}/predictions.csv`, predictionsCsv(run.evaluations, slideList, classes))
        }
      }
      staging.write('report.csv', modelsCsv(report))
      staging.write('folds.csv', foldsCsv(report))
      staging.write('predictions.csv', predictionsCsv(evaluations, slideList, classes))
      staging.write(
        'training-curves.json',
        JSON.stringify(Object.fromEntries(results.map((r, i) => [p.models[i], r.folds.map((f) => ({ fold: f.fold, best_epoch: f.best_epoch, history: f.history }))])), null, 1) + '\n'
      )
      if (p.heatmaps) {
        const index: { model: string; slide_id: number; slide: string; geojson: string; h5: string }[] = []
        for (const [mi, set] of sets.entries()) {
          const cv = results[mi] as CrossValidationResult
          for (const bag of set.bags) {
            const i = slidePosition.get(bag.slideId) as number
            const scores = cv.patchScores.get(bag.slideId)
            if (!scores) continue
            const h = {
              slideId: bag.slideId,
              slideName: bag.slideName,
              model: set.model,
              aggregator: p.aggregator,
              coords: bag.coords,
              scores,
              patchSizeLevel0: bag.patchSizeLevel0,
              probabilities: Array.from(cv.oof.probs.subarray(i * classes.length, (i + 1) * classes.length)),
              classes,
              label: (slides[i] as LabelledSlideRecord).label,
              fold: foldOfSlide.get(bag.slideId) as number
            }
            const base = `heatmaps/${slug(set.model)}/${slug(bag.slideName.replace(/\.[^.]+$/, ''))}`
            staging.write(`${base}.geojson`, JSON.stringify(heatmapToGeoJSON(h)))
            await writeHeatmapH5(staging.path(`${base}.h5`), h)
            index.push({ model: set.model, slide_id: bag.slideId, slide: bag.slideName, geojson: `${base}.geojson`, h5: `${base}.h5` })
          }
        }
        staging.write('heatmaps/index.json', JSON.stringify(index, null, 1) + '\n')
      }
    })
    // timings are final only now: write the report files last
    staging.write('report.json', JSON.stringify(report, null, 2) + '\n')
    staging.write('report.html', renderReportHtml(report))
    const manifest = staging.commit()
    progress(1, `report written to ${p.out}`)
    return { outDir: p.out, report, table: printTable(report), files: manifest.files.length }
  } catch (e) {
    staging.abort()
    throw e
  }
}
