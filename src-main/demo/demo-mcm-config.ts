// The demo's MCM+KD run config (one epoch on the demo cohort) with the reason for each value that differs from the
// trainer's defaults, and the test a cached run must pass to be reused for it.

/** Partial run config (src-shared/contracts/train.ts fills in the rest with its defaults). */
// Since #15 the demo runs the trainer's default recipe (docs/mcm-recipe.md): its former 1 window per step and frozen
// BatchNorm statistics were answers to a 1-window batch (one slide per step), which the default 8 windows from several
// slides per step no longer has. Values kept here are the ones a reader needs to see named.
export function demoMcmConfig(seed: number, grid: object, truthFile: string): Record<string, unknown> {
  return { seed, epochs: 1, grid, control: true, patchKd: true, probe: { patches: 2048, truth: { file: truthFile, channel: 'atypia_mean' } } }
}

export const DEMO_MCM_REASONS: Record<string, string> = {
  epochs: 'One epoch, as in the paper: every tissue patch of the training slides that lies in a full 4×4 window is in at least one window.',
  control: 'Also train the frozen-student control (same predictor, student frozen) to show what the student itself gained.',
  patchKd:
    'Also train the budget-matched per-patch KD ablation (window 1, same steps and student images), so the table shows how ' +
    'much of any change in the teacher probe comes from the context rather than from distillation alone.',
  probe:
    '2048 probe patches (fit on the training slides, scored on as many held-out ones): about 4 per feature dimension of the ' +
    '512-d ResNet student; the truth probe reads the generator\'s per-patch atypia (cohort truth.json, measurement only) out ' +
    'of the same features.'
}

/** True when every leaf of `wanted` equals the same leaf of `have` (the stored run config has all defaults filled in). */
export function configCovers(have: unknown, wanted: unknown): boolean {
  if (wanted === null || typeof wanted !== 'object') return have === wanted
  if (have === null || typeof have !== 'object') return false
  if (Array.isArray(wanted)) return Array.isArray(have) && have.length === wanted.length && wanted.every((w, i) => configCovers(have[i], w))
  return Object.entries(wanted).every(([k, v]) => configCovers((have as Record<string, unknown>)[k], v))
}
