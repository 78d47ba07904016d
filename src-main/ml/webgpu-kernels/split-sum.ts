// Second pass of our split reductions on webgpu (split-K filter gradient, split-R Sum): out[i] = Σ_z partial[z, i],
// z in order, so results are deterministic run to run (no float atomics).
import * as tf from '@tensorflow/tfjs'
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu'

export class SplitSumProgram implements WebGPUProgram {
  variableNames = ['partial']
  uniforms = 'splits : i32,'
  workgroupSize: [number, number, number] = [64, 1, 1]
  outputShape: number[]
  dispatchLayout: { x: number[] }
  dispatch: [number, number, number]
  size = true
  shaderKey = 'tesseraSplitSum'

  /** `partial` is [splits, size of outputShape]; pass uniforms [{ type: 'int32', data: [splits] }]. */
  constructor(outputShape: number[]) {
    this.outputShape = outputShape
    this.dispatchLayout = { x: outputShape.map((_, i) => i) } // flat: tfjs spreads a long dispatch over y/z itself
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(outputShape) / 64), 1, 1]
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var sum = 0.0;
          for (var z = 0; z < uniforms.splits; z++) { sum = sum + partial[z * uniforms.size + index]; }
          setOutputAtIndex(index, sum);
        }
      }
    `
  }
}
