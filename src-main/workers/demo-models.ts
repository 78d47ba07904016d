// Job kind 'demo.models': build (or reuse) the demo student and teacher (proxy-pretrained zoo models, safetensors + manifests).
import { join } from 'node:path'
import { z } from 'zod'
import type { JobKind } from '../jobs/job-context'
import { initBackend } from '../ml/backend'
import { buildDemoModels } from '../ml/demo/demo-models'

const Params = z.object({
  outDir: z.string().min(1),
  seed: z.number().int().min(0).optional(),
  force: z.boolean().optional(),
  profile: z.enum(['full', 'smoke']).default('full')
})

export const demoModels: JobKind = {
  resumable: false,
  async run(ctx) {
    const p = Params.parse(ctx.params)
    const backend = await initBackend()
    const r = await buildDemoModels({
      outDir: p.outDir,
      profile: p.profile,
      ...(p.seed !== undefined ? { seed: p.seed } : {}),
      ...(p.force !== undefined ? { force: p.force } : {}),
      signal: ctx.signal,
      onProgress: (f, message, metrics) => ctx.progress(f, message, { unit: 'images', ...(metrics ? { metrics } : {}) })
    })
    const { student, teacher } = r.index.models
    return {
      dir: r.dir,
      reused: r.reused,
      backend: backend.chosen,
      recipeHash: r.index.recipeHash,
      student: { name: student.name, arch: student.arch, inputSize: student.inputSize, weights: join(r.dir, student.weightsFile), manifest: join(r.dir, `${student.name}.json`), weightHash: student.weightHash, outputDim: student.outputDim },
      teacher: { name: teacher.name, arch: teacher.arch, inputSize: teacher.inputSize, weights: join(r.dir, teacher.weightsFile), manifest: join(r.dir, `${teacher.name}.json`), weightHash: teacher.weightHash, outputDim: teacher.outputDim }
    }
  }
}
