// The held-out split of an MCM+KD run by slide name (and patient): decided by the trainer, and by the cluster export
// before the run leaves the workstation (the node checks it gets the same split).
import type { McmConfig } from '../contracts/train'

/**
 * Training and held-out slide names. Held-out: the named slides, else the last `fraction` by name (at least one).
 * With `patients` (every slide's patient) and heldOut.by = 'patient' (the default) the split is by patient: the
 * fraction is taken in whole patients (ordered by their first slide name, from the end), and a named slide brings its
 * patient's other slides along, so no patient has slides on both sides.
 */
export function splitSlides(
  names: readonly string[],
  heldOut: Omit<McmConfig['heldOut'], 'by'> & { by?: McmConfig['heldOut']['by'] },
  patients?: ReadonlyMap<string, string> | null
): { train: string[]; heldOut: string[] } {
  const sorted = [...names].sort()
  const byPatient = patients && (heldOut.by ?? 'patient') === 'patient' ? patients : null
  const samePatient = (n: string): string[] => (byPatient ? sorted.filter((m) => byPatient.get(m) === byPatient.get(n)) : [n])
  let held: string[]
  if (heldOut.slides.length > 0) {
    const missing = heldOut.slides.filter((n) => !sorted.includes(n))
    if (missing.length) throw new Error(`held-out slides not in the cohort: ${missing.join(', ')}`)
    held = sorted.filter((n) => heldOut.slides.some((h) => samePatient(h).includes(n)))
  } else {
    const n = heldOut.fraction > 0 ? Math.max(1, Math.round(sorted.length * heldOut.fraction)) : 0
    held = []
    for (let i = sorted.length - 1; i >= 0 && held.length < n; i--) {
      const name = sorted[i] as string
      if (!held.includes(name)) held.push(...samePatient(name).filter((m) => !held.includes(m)))
    }
    held.sort()
  }
  const train = sorted.filter((n) => !held.includes(n))
  if (train.length === 0) throw new Error('no training slides left after the held-out split: lower heldOut.fraction or name fewer slides')
  return { train, heldOut: held }
}
