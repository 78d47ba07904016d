// A zoo student is fine-tuned at its own recorded input size (the size its baseline features are extracted at): grid
// patches of another size are resized to it, and the exported manifest says that size.
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { McmConfig } from '../../../src-shared/contracts/train'
import { createModel } from '../../../src-main/ml/models/zoo'
import { runMcm } from '../../../src-main/ml/mcm/run-mcm'
import { SyntheticCohort } from '../../../src-main/ml/mcm/synthetic-cohort'
import { ZooStudent } from '../../../src-main/ml/mcm/zoo-student'
import { tempDir } from '../../helpers/tmp'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('student input size', () => {
  it('16 px grid patches reach a 32 px student at 32 px; the exported manifest records 32', { timeout: 60_000 }, async () => {
    const seen = new Set<string>()
    const factory = (): ZooStudent => {
      const model = createModel('smallcnn', { seed: 1, width: 4, depth: 2, inputSize: 32 })
      const apply = model.apply.bind(model)
      model.apply = (x, training) => {
        seen.add(`${x.shape[1]}x${x.shape[2]}`)
        return apply(x, training)
      }
      return new ZooStudent(model, 32, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25])
    }
    const cfg = McmConfig.parse({
      seed: 1,
      backend: 'cpu',
      window: { size: 3 },
      batchWindows: 2,
      maxSteps: 1,
      control: false,
      heldOut: { maxWindows: 2 },
      probe: { patches: 16 },
      data: { source: 'synthetic', synthetic: { slides: 3, cols: 6, rows: 6, holes: 0, patchSize: 16 } }
    })
    const dir = tempDir('insize-')
    const out = await runMcm({ cfg, source: new SyntheticCohort(cfg.data.synthetic), student: 'S', studentFactory: factory, teacher: 'T', runDir: dir })
    expect([...seen]).toEqual(['32x32'])
    expect(out.exported.manifest['inputSize']).toBe(32)
    expect(JSON.parse(readFileSync(`${dir}/model/manifest.json`, 'utf8')).inputSize).toBe(32)
  })
})
