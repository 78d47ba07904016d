// Report building: multi-class (macro AUC, paired bootstrap comparison, no ROC), role inference, CSV and table output.
import { describe, expect, it } from 'vitest'
import { buildReport, foldsCsv, inferRole, modelsCsv, printTable, type ModelEvaluation } from '../../../src-main/eval/report'
import { parseCsv } from '../../../src-main/interop/csv'
import { mulberry32 } from '../../../src-main/eval/rng'
import { renderReportHtml } from '../../../src-main/eval/report-html'

/** 3-class predictions: the true class gets `boost` extra mass before normalising. */
function model(name: string, boost: number, seed: number): ModelEvaluation {
  const rng = mulberry32(seed)
  const n = 45
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3)
  const probs = new Float64Array(n * 3)
  for (let i = 0; i < n; i++) {
    const raw = [rng(), rng(), rng()]
    raw[labels[i]!]! += boost
    const sum = raw.reduce((a, b) => a + b, 0)
    raw.forEach((v, c) => (probs[i * 3 + c] = v / sum))
  }
  const folds = [0, 1, 2].map((fold) => ({ fold, auc: 0.8, balanced_accuracy: 0.6, f1: 0.6, n_test: 15, n_train: 25, n_validation: 5, best_epoch: 3, epochs_run: 6 }))
  return { name, role: inferRole(name), features: 'x', dim: 8, oof: { labels, probs, classes: 3 }, foldOf: Array.from({ length: n }, (_, i) => Math.floor(i / 15)), folds, aggregatorParameters: 10, seconds: 1 }
}

describe('buildReport', () => {
  it('handles multi-class tasks with a paired bootstrap comparison and no ROC', () => {
    const r = buildReport({
      project: 'p', aggregator: 'abmil', seed: 3, foldsK: 3, splitMethod: 'm', classes: ['a', 'b', 'c'], nPatients: 45,
      models: [model('student', 0.2, 1), model('student-mcm', 0.8, 2)], finetune: null, timings: { cv: 1 }, bootstrapResamples: 200
    })
    expect(r.positive_class).toBeNull()
    expect(r.models.map((m) => m.roc)).toEqual([null, null])
    expect(r.models[1]!.auc_pooled).toBeGreaterThan(r.models[0]!.auc_pooled)
    for (const m of r.models) {
      expect(m.auc_ci[0]).toBeLessThanOrEqual(m.auc_ci[1])
      expect(m.auc_ci[0]).toBeGreaterThanOrEqual(0)
      expect(m.auc_ci[1]).toBeLessThanOrEqual(1)
    }
    expect(r.comparisons).toHaveLength(1)
    expect(r.comparisons[0]!.method).toBe('paired bootstrap (class-stratified)')
    expect(r.comparisons[0]!.auc_diff).toBeCloseTo(r.models[1]!.auc_pooled - r.models[0]!.auc_pooled, 12)
    expect(printTable(r)).toMatch(/student-mcm vs student: ΔAUC fold mean \+.*pooled \+/)
    expect(r.comparisons[0]!.auc_diff_fold_mean).toBeCloseTo(r.models[1]!.auc_mean - r.models[0]!.auc_mean, 12)
    expect(parseCsv(modelsCsv(r)).rows).toHaveLength(2)
    expect(parseCsv(foldsCsv(r)).rows).toHaveLength(6)
    // seeded: the same input gives the same CIs and p-values
    const again = buildReport({
      project: 'p', aggregator: 'abmil', seed: 3, foldsK: 3, splitMethod: 'm', classes: ['a', 'b', 'c'], nPatients: 45,
      models: [model('student', 0.2, 1), model('student-mcm', 0.8, 2)], finetune: null, timings: { cv: 1 }, bootstrapResamples: 200, createdAt: r.created_at
    })
    expect(again).toEqual(r)
  })

  it('prints the fine-tuning run\'s held-out masked L1 with the frozen-student control under the table', () => {
    const finetune = { run_id: 4, masked_l1_before: 1.149, masked_l1_after: 0.44, masked_l1_control: 0.4396, masked_l1_visible_mean: 0.45, epochs: 1, backend: 'wasm', train_images_per_s: null }
    const r = buildReport({
      project: 'p', aggregator: 'abmil', seed: 3, foldsK: 3, splitMethod: 'm', classes: ['a', 'b', 'c'], nPatients: 45,
      models: [model('student', 0.2, 1), model('student-mcm', 0.8, 2)], finetune, timings: { cv: 1 }, bootstrapResamples: 50
    })
    expect(printTable(r)).toContain('fine-tuning run 4, held-out masked-patch L1 (lower is better): before 1.149 → after 0.440; frozen-student control 0.440; mean of the visible patches 0.450')
    // a run without a teacher probe (probe off, or a run made before the probe existed) prints no probe line
    expect(printTable(r)).not.toContain('teacher probe')
    const probed = buildReport({
      project: 'p', aggregator: 'abmil', seed: 3, foldsK: 3, splitMethod: 'm', classes: ['a', 'b', 'c'], nPatients: 45,
      models: [model('student', 0.2, 1), model('student-mcm', 0.8, 2)], finetune: { ...finetune, teacher_probe_r2_before: 0.8036, teacher_probe_r2_after: 0.8047 }, timings: { cv: 1 }, bootstrapResamples: 50
    })
    expect(printTable(probed)).toContain('teacher probe, held-out R² of student features → teacher targets (higher is better): before 0.804 → after 0.805')
    expect(printTable(probed)).not.toContain('per-patch KD')
    // the budget-matched per-patch KD control, and report warnings, are printed and shown in the HTML
    const kd = buildReport({
      project: 'p', aggregator: 'abmil', seed: 3, foldsK: 3, splitMethod: 'm', classes: ['a', 'b', 'c'], nPatients: 45,
      models: [model('student', 0.2, 1), model('student-mcm', 0.8, 2)],
      finetune: { ...finetune, teacher_probe_r2_before: 0.8036, teacher_probe_r2_after: 0.8047, main_steps: 161, main_images: 10304, patch_kd: { steps: 161, images: 10304, teacher_probe_r2_after: 0.8191 } },
      timings: { cv: 1 }, bootstrapResamples: 50
    })
    kd.warnings = ['extractors saw different pixels per patch: student 64 px, teacher 224 px']
    expect(printTable(kd)).toContain('per-patch KD control (window 1, 161 steps, 10304 student images; MCM+KD: 161 steps, 10304 images): teacher probe after 0.819')
    expect(printTable(kd)).toContain('WARNING: extractors saw different pixels per patch')
    const html = renderReportHtml(kd)
    expect(html).toContain('per-patch KD control (window 1, same budget)')
    expect(html).toContain('<strong>Warning:</strong> extractors saw different pixels per patch')
  })

  it('guesses roles from model names', () => {
    expect(['uni-teacher', 'resnet18-mcm', 'student-kd', 'baseline-resnet', 'student', 'zoo-vit'].map(inferRole)).toEqual([
      'teacher', 'finetuned', 'finetuned', 'baseline', 'baseline', 'other'
    ])
  })
})
