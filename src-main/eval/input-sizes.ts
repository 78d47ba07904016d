// Pixels per patch of each compared extractor: the model input edge its cached features were extracted at (the grid
// patch is resized to it). A baseline and its fine-tuned copy that saw different pixels per patch are not a fair
// comparison (an imported ResNet-18 defaults to 224 px; a copy fine-tuned at a 64 px grid would see 64 px), so the
// evaluation refuses them; any other mismatch, or an unknown size, is a warning recorded in report.json.
import type { ModelRole } from '../../src-shared/contracts/eval'

/** Input edge in px recorded in a feature-cache encoder key (`…|in224|…`), null when the key holds none. */
export function inputSizeOfEncoderKey(key: string): number | null {
  const m = /\|in(\d+)(?:\||$)/.exec(key)
  return m ? Number(m[1]) : null
}

export interface ComparedExtractor {
  model: string
  role: ModelRole
  /** null: unknown (features from a folder) */
  inputSize: number | null
}

/** Throws when a baseline and a fine-tuned model saw different pixels per patch; returns warnings for the rest. */
export function checkInputSizes(models: readonly ComparedExtractor[]): string[] {
  const warnings: string[] = []
  const known = models.filter((m) => m.inputSize !== null)
  for (const m of models) if (m.inputSize === null) warnings.push(`${m.model}: input size unknown (features not from the cache); pixels per patch cannot be compared`)
  const sizes = [...new Set(known.map((m) => m.inputSize))]
  if (sizes.length <= 1) return warnings
  const bad: string[] = []
  for (const a of known.filter((m) => m.role === 'baseline')) {
    for (const b of known.filter((m) => m.role === 'finetuned')) {
      if (a.inputSize !== b.inputSize) bad.push(`baseline ${a.model} at ${a.inputSize} px, fine-tuned ${b.model} at ${b.inputSize} px`)
    }
  }
  if (bad.length > 0) {
    throw new Error(
      `compared extractors saw different pixels per patch (${bad.join('; ')}): extract both at one input size (re-import the baseline with --input-size, or fine-tune a student registered at the baseline's size) and evaluate again`
    )
  }
  warnings.push(`extractors saw different pixels per patch: ${known.map((m) => `${m.model} ${m.inputSize} px`).join(', ')}`)
  return warnings
}
