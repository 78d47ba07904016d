// The pre-registered verdict: E2 decides (both margins), E4 only qualifies a met E2, missing figures say so.
import { describe, expect, it } from 'vitest'
import type { EvalReport } from '../../../src-shared/contracts/eval'
import { outcomeLines, preregisteredOutcome } from '../../../src-main/demo/preregistered-outcome'

function report(p: { before: number; after: number; kd: number; e4?: { diff: number; p: number } | null; truth?: [number, number, number] }): EvalReport {
  return {
    models: [
      { name: 'b', role: 'baseline' },
      { name: 'f', role: 'finetuned' },
      { name: 't', role: 'teacher' }
    ],
    finetune: {
      masked_l1_after: 0.5,
      masked_l1_control: 0.52,
      masked_l1_visible_mean: 0.55,
      teacher_probe_r2_before: p.before,
      teacher_probe_r2_after: p.after,
      patch_kd: { steps: 1, images: 1, teacher_probe_r2_after: p.kd, ...(p.truth ? { truth_probe_r2_after: p.truth[2] } : {}) },
      ...(p.truth ? { truth_probe: { channel: 'atypia_mean', r2_before: p.truth[0], r2_after: p.truth[1], fit_patches: 1, test_patches: 1 } } : {})
    },
    ...(p.e4 === null ? {} : { repeats: { seeds: [1, 2, 3], per_seed: [], over_seeds: { models: [], comparisons: [{ a: 'b', b: 'f', auc_diff_mean: p.e4?.diff ?? 0.05, ci: null, p_value: p.e4?.p ?? 0.01, method: 'x' }] } } })
  } as unknown as EvalReport
}

describe('pre-registered outcome', () => {
  it('credits the method only when the probe clears both the baseline and the per-patch KD student by more than 0.01', () => {
    expect(preregisteredOutcome(report({ before: 0.8, after: 0.82, kd: 0.805 })).primary.met).toBe(true)
    // above the baseline but not beyond plain distillation: not met
    expect(preregisteredOutcome(report({ before: 0.8, after: 0.82, kd: 0.815 })).primary.met).toBe(false)
    expect(preregisteredOutcome(report({ before: 0.8, after: 0.805, kd: 0.7 })).primary.met).toBe(false)
    expect(preregisteredOutcome(report({ before: 0.8, after: 0.79, kd: 0.7 })).outcome).toMatch(/did not help here/)
  })

  it('states E4 only as a qualifier of a met E2, and says when figures are missing', () => {
    expect(preregisteredOutcome(report({ before: 0.8, after: 0.85, kd: 0.8, e4: { diff: 0.06, p: 0.01 } })).outcome).toMatch(/^the method helped/)
    expect(preregisteredOutcome(report({ before: 0.8, after: 0.85, kd: 0.8, e4: { diff: 0.06, p: 0.2 } })).outcome).toMatch(/no slide-level gain/)
    expect(preregisteredOutcome(report({ before: 0.8, after: 0.85, kd: 0.8, e4: { diff: -0.06, p: 0.01 } })).outcome).toMatch(/no slide-level gain/)
    // a slide-level gain without E2 does not make the method "help"
    expect(preregisteredOutcome(report({ before: 0.8, after: 0.8, kd: 0.8, e4: { diff: 0.2, p: 0.001 } })).outcome).toMatch(/did not help/)
    const none = preregisteredOutcome(report({ before: 0.8, after: 0.85, kd: 0.8, e4: null }))
    expect(none.supporting.find((e) => e.id === 'E4')?.met).toBeNull()
    expect(none.supporting.find((e) => e.id === 'E3')?.met).toBeNull()
  })

  it('judges E1 (after below control) and E3 (truth probe, same rule) and prints one line each', () => {
    const o = preregisteredOutcome(report({ before: 0.8, after: 0.85, kd: 0.8, truth: [0.4, 0.45, 0.42] }))
    expect(o.supporting.map((e) => [e.id, e.met])).toEqual([['E1', true], ['E3', true], ['E4', true]])
    const lines = outcomeLines(o)
    expect(lines).toHaveLength(5)
    expect(lines[0]).toMatch(/^pre-registered primary endpoint E2 \(met\): teacher probe: after 0\.850 vs before 0\.800 and per-patch KD 0\.800/)
    expect(lines[4]).toMatch(/^outcome by the pre-registered rule: the method helped/)
  })
})
