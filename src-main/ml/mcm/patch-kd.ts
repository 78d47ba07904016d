// The budget-matched per-patch KD ablation (config `patchKd`, issue #15): the same student, teacher targets, optimizer
// and schedule as the main MCM+KD phase, but windows of 1 (no context: each patch predicts its own teacher target
// through the predictor), with the same number of optimizer steps and about the same number of student images.
// Beside the frozen-student control it separates the two things MCM+KD could add: distillation as such (this ablation)
// and the context (the main phase). Its student is scored by the teacher probe; the held-out masked loss does not
// apply (nothing is masked).
import type { McmConfig } from '../../../src-shared/contracts/train'
import type { SlideGridView } from './data-source'
import { trainingPlan, type ContextWindow } from './windows'

export interface PatchKdPlan {
  cfg: McmConfig
  plan: ContextWindow[]
  /** images per step (the main phase's mean, rounded up) */
  batch: number
}

/**
 * Config and plan of the ablation matched to a main phase of `steps` steps that pushes `images` student images: batch
 * = ⌈images / steps⌉ single patches per step, as many passes over the training patches as that budget needs (every
 * patch once per pass, seeded shuffle), capped at `steps` steps. Total images = steps · batch ≥ images, over by less
 * than one image per step.
 */
export function patchKdPlan(cfg: McmConfig, trainGrids: readonly SlideGridView[], steps: number, images: number): PatchKdPlan {
  const patches = trainGrids.reduce((a, g) => a + g.patches.length, 0)
  if (patches === 0) throw new Error('per-patch KD: the training slides have no tissue patches')
  const batch = Math.max(1, Math.ceil(images / Math.max(1, steps)))
  if (batch > 4096) throw new Error(`per-patch KD: ${batch} images per step is above the 4096 limit`)
  const epochs = Math.min(100, Math.max(0.01, (steps * batch) / patches))
  const kd: McmConfig = {
    ...cfg,
    window: { size: 1, stride: 1 },
    batchWindows: batch,
    epochs,
    maxSteps: steps,
    // nothing to fill in: no mask token is used and no visible-KD head (the predictor is the per-patch head)
    loss: { ...cfg.loss, visibleKdWeight: 0 },
    control: false,
    patchKd: false
  }
  return { cfg: kd, plan: trainingPlan(trainGrids, kd), batch }
}
