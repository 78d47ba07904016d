// The demo's pre-registered verdict (resources/demo/PREREGISTRATION.md, "What counts as the method helped"), computed
// from report.json by the rule written before the run — so the printed outcome is the rule's, not a reading of it.
import type { EvalReport } from '../../src-shared/contracts/eval'

/** R² margin a probe must clear (E2, E3). */
export const PROBE_MARGIN = 0.01
/** significance level of the over-seeds paired test (E4) */
export const E4_ALPHA = 0.05

export interface EndpointResult {
  id: 'E1' | 'E2' | 'E3' | 'E4'
  /** null: the figures it needs are missing from the report */
  met: boolean | null
  detail: string
}

export interface PreregisteredOutcome {
  primary: EndpointResult
  supporting: EndpointResult[]
  outcome: string
}

const f3 = (v: number | null | undefined): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '—')
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/** Both margins: `after` above `before` and above the per-patch KD student's, each by more than PROBE_MARGIN. */
function probeRule(id: 'E2' | 'E3', name: string, before: unknown, after: unknown, kd: unknown): EndpointResult {
  if (!isNum(before) || !isNum(after) || !isNum(kd)) return { id, met: null, detail: `${name}: figures missing (before ${f3(before as number)}, after ${f3(after as number)}, per-patch KD ${f3(kd as number)})` }
  const met = after > before + PROBE_MARGIN && after > kd + PROBE_MARGIN
  return { id, met, detail: `${name}: after ${f3(after)} vs before ${f3(before)} and per-patch KD ${f3(kd)} (needs > both + ${PROBE_MARGIN})` }
}

export function preregisteredOutcome(r: EvalReport): PreregisteredOutcome {
  const f = r.finetune
  const e2 = probeRule('E2', 'teacher probe', f?.teacher_probe_r2_before, f?.teacher_probe_r2_after, f?.patch_kd?.teacher_probe_r2_after)
  const e3 = probeRule('E3', 'truth probe', f?.truth_probe?.r2_before, f?.truth_probe?.r2_after, f?.patch_kd?.truth_probe_r2_after)
  const after = f?.masked_l1_after
  const control = f?.masked_l1_control
  const e1: EndpointResult = isNum(after) && isNum(control)
    ? { id: 'E1', met: after < control, detail: `held-out masked L1: after ${f3(after)} vs frozen-student control ${f3(control)} (visible mean ${f3(f?.masked_l1_visible_mean)}; needs after < control)` }
    : { id: 'E1', met: null, detail: 'held-out masked L1: figures missing' }
  const baseline = r.models.find((m) => m.role === 'baseline')?.name
  const finetuned = r.models.find((m) => m.role === 'finetuned')?.name
  const cmp = r.repeats?.over_seeds.comparisons.find((c) => c.a === baseline && c.b === finetuned)
  const e4: EndpointResult = cmp
    ? {
        id: 'E4',
        met: cmp.auc_diff_mean > 0 && cmp.p_value < E4_ALPHA,
        detail: `ABMIL over ${r.repeats?.seeds.length ?? 0} split seeds: fine-tuned − baseline pooled AUC ${cmp.auc_diff_mean >= 0 ? '+' : ''}${cmp.auc_diff_mean.toFixed(3)} (p = ${cmp.p_value.toFixed(4)}; needs > 0 with p < ${E4_ALPHA})`
      }
    : { id: 'E4', met: null, detail: 'ABMIL over seeds: no baseline vs fine-tuned comparison over seeds in the report' }
  const outcome =
    e2.met === null
      ? 'undetermined: the primary endpoint (E2) is missing from the report'
      : !e2.met
        ? 'the method did not help here (primary endpoint E2 not met)'
        : e4.met
          ? 'the method helped: the student\'s features moved toward the teacher beyond per-patch KD (E2), and the slide-level AUC rose (E4)'
          : 'features moved toward the teacher (E2), no slide-level gain on this cohort (E4 not met)'
  return { primary: e2, supporting: [e1, e3, e4], outcome }
}

/** Lines for the CLI: primary, supporting, outcome. */
export function outcomeLines(o: PreregisteredOutcome): string[] {
  const mark = (e: EndpointResult): string => (e.met === null ? 'n/a' : e.met ? 'met' : 'not met')
  return [
    `pre-registered primary endpoint ${o.primary.id} (${mark(o.primary)}): ${o.primary.detail}`,
    ...o.supporting.map((e) => `supporting ${e.id} (${mark(e)}): ${e.detail}`),
    `outcome by the pre-registered rule: ${o.outcome}`
  ]
}
