// The student interface the MCM+KD trainer fine-tunes, and the built-in tiny CNN (tests, demos, synthetic cohorts).
// Zoo students (ResNet, ViT from src-main/ml/models) are adapted to this interface when they land.
import * as tf from '@tensorflow/tfjs'
import { Rng, STREAM } from './rng'
import { constParam, normalParam, type NamedParam } from './params'

export interface StudentForwardMode {
  /** false: inference (BN uses running statistics) */
  training: boolean
  /** true: BN uses (and keeps) its running statistics even while training */
  freezeBnStats: boolean
}

export interface StateUpdate {
  variable: tf.Variable
  value: tf.Tensor
}

export interface StudentModel {
  readonly kind: string
  readonly inputSize: number
  readonly featureDim: number
  readonly mean: readonly number[]
  readonly std: readonly number[]
  readonly params: NamedParam[]
  /** non-trainable state (BatchNorm running statistics); saved in checkpoints and exported */
  readonly state: NamedParam[]
  /** x: [N, p, p, 3] normalised → features [N, featureDim]; stateUpdates are applied by the trainer after a good step */
  forward(x: tf.Tensor4D, mode: StudentForwardMode): { features: tf.Tensor2D; stateUpdates: StateUpdate[] }
  /** zoo students write torch-named safetensors themselves; returns the weight hash */
  exportSafetensors?(file: string): Promise<string>
  /** zoo identity for the output manifest (arch, weight naming, architecture options) */
  zooIdentity?(): { arch: string; weightNaming: string; options: Record<string, number | string | boolean> }
  dispose(): void
}

/**
 * The student's input at its own recorded input size: grid patches (p×p) are resized to student.inputSize by bilinear
 * interpolation with half-pixel centres, the rule feature extraction uses (models/preprocess.ts), so a fine-tuned
 * student sees the same pixels per patch as its baseline did and its manifest's inputSize stays true. Normalisation is
 * per-channel affine, so resizing after it equals resizing before. No copy when the sizes already agree.
 */
export function atStudentSize(x: tf.Tensor4D, student: Pick<StudentModel, 'inputSize'>): tf.Tensor4D {
  const s = student.inputSize
  if (x.shape[1] === s && x.shape[2] === s) return x
  return tf.image.resizeBilinear(x, [s, s], false, true)
}

/** Builds a fresh student (same weights every call): the trainer, the control and the "before" evaluation each need one. */
export type StudentFactory = () => StudentModel

const BN_MOMENTUM = 0.1
const BN_EPS = 1e-5

/** Tiny CNN: conv3×3/2 → BN → ReLU → conv3×3/2 → BN → ReLU → global mean → linear. */
export class TinyCnnStudent implements StudentModel {
  readonly kind = 'tiny-cnn'
  readonly mean = [0.5, 0.5, 0.5]
  readonly std = [0.25, 0.25, 0.25]
  readonly params: NamedParam[]
  readonly state: NamedParam[]
  private readonly p: Record<string, tf.Variable> = {}

  constructor(
    readonly inputSize: number,
    readonly featureDim: number,
    seed: number,
    widths: [number, number] = [8, 16]
  ) {
    const rng = Rng.keyed(seed, STREAM.init, 1)
    const [c1, c2] = widths
    this.params = [
      normalParam('conv1.weight', [3, 3, 3, c1], Math.sqrt(2 / 27), rng),
      constParam('bn1.weight', [c1], 1),
      constParam('bn1.bias', [c1], 0),
      normalParam('conv2.weight', [3, 3, c1, c2], Math.sqrt(2 / (9 * c1)), rng),
      constParam('bn2.weight', [c2], 1),
      constParam('bn2.bias', [c2], 0),
      normalParam('fc.weight', [c2, featureDim], Math.sqrt(1 / c2), rng),
      constParam('fc.bias', [featureDim], 0)
    ]
    this.state = [
      constParam('bn1.running_mean', [c1], 0, false),
      constParam('bn1.running_var', [c1], 1, false),
      constParam('bn2.running_mean', [c2], 0, false),
      constParam('bn2.running_var', [c2], 1, false)
    ]
    for (const q of [...this.params, ...this.state]) this.p[q.name] = q.variable
  }

  private v(name: string): tf.Variable {
    const v = this.p[name]
    if (!v) throw new Error(`tiny-cnn: no tensor ${name}`)
    return v
  }

  private bn(x: tf.Tensor4D, layer: string, mode: StudentForwardMode, updates: StateUpdate[]): tf.Tensor4D {
    const rm = this.v(`${layer}.running_mean`)
    const rv = this.v(`${layer}.running_var`)
    let mean: tf.Tensor = rm
    let variance: tf.Tensor = rv
    if (mode.training && !mode.freezeBnStats) {
      const m = tf.moments(x, [0, 1, 2])
      mean = m.mean
      variance = m.variance
      updates.push({ variable: rm, value: tf.keep(tf.add(tf.mul(rm, 1 - BN_MOMENTUM), tf.mul(m.mean, BN_MOMENTUM))) })
      updates.push({ variable: rv, value: tf.keep(tf.add(tf.mul(rv, 1 - BN_MOMENTUM), tf.mul(m.variance, BN_MOMENTUM))) })
    }
    return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, this.v(`${layer}.bias`) as tf.Tensor1D, this.v(`${layer}.weight`) as tf.Tensor1D, BN_EPS)
  }

  forward(x: tf.Tensor4D, mode: StudentForwardMode): { features: tf.Tensor2D; stateUpdates: StateUpdate[] } {
    const updates: StateUpdate[] = []
    let h = tf.conv2d(x, this.v('conv1.weight') as tf.Tensor4D, 2, 'same')
    h = tf.relu(this.bn(h, 'bn1', mode, updates))
    h = tf.conv2d(h, this.v('conv2.weight') as tf.Tensor4D, 2, 'same')
    h = tf.relu(this.bn(h, 'bn2', mode, updates))
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D
    const features = tf.add(tf.matMul(pooled, this.v('fc.weight') as tf.Tensor2D), this.v('fc.bias')) as tf.Tensor2D
    return { features, stateUpdates: updates }
  }

  dispose(): void {
    for (const q of [...this.params, ...this.state]) q.variable.dispose()
  }
}

export { isBuiltinStudent } from '../../../src-shared/contracts/train'

/** Build a student by name. Zoo students are not wired here yet: the error says so. */
export function createStudent(name: string, inputSize: number, seed: number): StudentModel {
  const m = /^tiny-cnn(?:-(\d+))?$/.exec(name)
  if (m) return new TinyCnnStudent(inputSize, m[1] ? Number(m[1]) : 16, seed)
  throw new Error(`student "${name}" is not built in (tiny-cnn[-DIM]); registered zoo students are opened by the train.mcm worker (zoo-student.ts)`)
}
