// The CLI door end to end: labels import with row errors, then `tessera eval` (job eval.mil in a child process, wasm
// backend) twice with the same seed → identical report numbers (overwrite refusal: unit and API tests).
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import h5wasm from 'h5wasm/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src-main/store/database'
import { syntheticCohort } from '../../../src-main/eval/synthetic-bags'
import type { EvalReport } from '../../../src-shared/contracts/eval'
import { tempDir } from '../../helpers/tmp'

function tessera(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/tessera.mjs', ...args], { encoding: 'utf8' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const root = tempDir('eval-cli-')
const db = join(root, 'tessera.db')
const features = join(root, 'features')

beforeAll(async () => {
  expect(tessera('--db', db, 'project', 'create', 'Synth').code).toBe(0)
  const store = openDatabase(db)
  const projectId = (store.prepare("SELECT id FROM projects WHERE name = 'Synth'").get() as { id: number }).id
  // Slides are registered by the slides room in real use; here rows are inserted directly (no image files needed).
  const add = store.prepare("INSERT INTO slides (project_id, path, name, status) VALUES (?, ?, ?, 'ok')")
  const weak = syntheticCohort({ slides: 16, patches: 20, dim: 8, seed: 2, signal: 1.5, lesionFraction: 0.2 })
  const strong = syntheticCohort({ slides: 16, patches: 20, dim: 8, seed: 2, signal: 4, lesionFraction: 0.2 })
  await h5wasm.ready
  let csv = 'slide,label,patient_id\n'
  for (const [model, cohort] of [['student', weak], ['student-mcm', strong]] as const) {
    mkdirSync(join(features, model), { recursive: true })
    for (const b of cohort) {
      const f = new h5wasm.File(join(features, model, `${b.slideName}.h5`), 'w')
      f.create_dataset({ name: 'features', data: b.features, shape: [20, 8] })
      f.create_dataset({ name: 'coords', data: BigInt64Array.from(b.coords, (v) => BigInt(v)), shape: [20, 2] }).create_attribute('patch_size_level0', 448)
      f.close()
    }
  }
  for (const b of weak) {
    add.run(projectId, `/slides/${b.slideName}.svs`, `${b.slideName}.svs`)
    csv += `${b.slideName},${b.label ? 'tumor' : 'normal'},${b.patientId}\n`
  }
  store.close()
  writeFileSync(join(root, 'labels.csv'), csv)
  writeFileSync(join(root, 'bad.csv'), 'slide,label\nslide-001,tumor\nnot-a-slide,normal\n')
})

const evalArgs = (out: string): string[] => [
  '--db', db, 'eval', '--project', 'Synth', '--models', 'student,student-mcm', '--features-dir', features,
  '--folds', '4', '--seed', '5', '--max-epochs', '8', '--patience', '3', '--lr', '0.01', '--resamples', '200', '--out', out, '--json'
]

describe('tessera labels / eval', () => {
  it('rejects a bad labels CSV with the row number and imports a good one', () => {
    const bad = tessera('--db', db, 'labels', 'import', join(root, 'bad.csv'), '--project', 'Synth')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('bad.csv row 3: unknown slide "not-a-slide"')
    const ok = tessera('--db', db, 'labels', 'import', join(root, 'labels.csv'), '--project', 'Synth', '--json')
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ imported: 16, task: 'binary' })
  })

  it('runs the evaluation twice with one seed and gets identical numbers', () => {
    const first = tessera(...evalArgs(join(root, 'run1')))
    expect(first.stderr).not.toMatch(/failed/)
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({ outDir: join(root, 'run1') })
    const second = tessera(...evalArgs(join(root, 'run2')))
    expect(second.code).toBe(0)
    const read = (d: string): EvalReport => JSON.parse(readFileSync(join(root, d, 'report.json'), 'utf8')) as EvalReport
    const [a, b] = [read('run1'), read('run2')]
    expect(b.models).toEqual(a.models)
    expect(b.comparisons).toEqual(a.comparisons)
    expect(a.models.map((m) => m.role)).toEqual(['baseline', 'finetuned'])
    expect(a.mil?.['backend']).toBe('wasm')
  })
})
