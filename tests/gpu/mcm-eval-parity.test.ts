// MCM+KD and ABMIL on webgpu vs cpu, end to end through the CLI: `tessera train --backend webgpu` (a tiny synthetic
// run) must follow the cpu run's loss trajectory, and `tessera eval --backend webgpu` must give the cpu run's
// predictions. In CI this runs forced on Mesa lavapipe (software; correctness only, never speed). Skips, with the
// reason printed, only where no webgpu adapter exists at all (TESSERA_REQUIRE_WEBGPU=1 makes that a failure).
//
// Tolerance: relative 1e-4 per loss step (MCM+KD) and absolute 1e-4 per predicted probability (ABMIL). Why: both
// backends compute in float32; the GPU kernels sum in another order (tiled reductions), which moves each result by
// a few ulps (~1e-7 relative), and six Adam steps amplify that at most a few hundred times (measured on lavapipe:
// ≤ 2e-7 relative on the loss). A wrong kernel, a dropped submit or a stale read moves the loss by > 1e-2.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import h5wasm from 'h5wasm/node'
import { describe, expect, it } from 'vitest'
import { describeBackends } from '../../src-main/ml/backend'
import { syntheticCohort } from '../../src-main/eval/synthetic-bags'
import { openDatabase } from '../../src-main/store/database'
import type { McmRunDetail } from '../../src-shared/contracts/train'
import { tempDir } from '../helpers/tmp'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tessera.mjs')

function tessera(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 170_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

let webgpu: string | null = null
try {
  webgpu = (await describeBackends({ force: 'webgpu' })).adapter
} catch (e) {
  console.log(`[gpu parity] SKIPPED: no webgpu adapter — ${(e as Error).message}`)
}

describe.skipIf(webgpu === null)(`MCM+KD and ABMIL on webgpu (${webgpu}) vs cpu`, () => {
  const root = tempDir('gpu-parity-')
  const db = join(root, 't.db')

  it('tessera train --backend webgpu follows the cpu loss trajectory and records backend and adapter', () => {
    expect(tessera('--db', db, 'project', 'create', 'P').code).toBe(0)
    const config = join(root, 'run.json')
    // tiny: 4 slides of 8×8 16-px patches, 3×3 windows, 2 windows per step, 6 steps, no control/probe (lavapipe is slow)
    writeFileSync(config, JSON.stringify({
      seed: 1, window: { size: 3 }, batchWindows: 2, maxSteps: 6, checkpointEvery: 100, control: false,
      probe: { patches: 0 }, inspection: { windows: 1 },
      data: { source: 'synthetic', synthetic: { slides: 4, cols: 8, rows: 8, holes: 0 } }
    }))
    const runs: Record<'cpu' | 'webgpu', McmRunDetail> = {} as Record<'cpu' | 'webgpu', McmRunDetail>
    for (const backend of ['cpu', 'webgpu'] as const) {
      const r = tessera('--db', db, 'train', '--project', 'P', '--student', 'tiny-cnn', '--teacher', 'synthetic', '--config', config, '--backend', backend, '--json')
      expect(r.code, r.stderr.slice(-2000)).toBe(0)
      const { runId } = JSON.parse(r.stdout) as { runId: number }
      runs[backend] = JSON.parse(tessera('--db', db, 'run', 'show', String(runId), '--json').stdout) as McmRunDetail
    }
    const cpu = runs.cpu.lossCurve.filter((p) => p.phase === 'main')
    const gpu = runs.webgpu.lossCurve.filter((p) => p.phase === 'main')
    expect(gpu.length).toBe(6)
    expect(cpu.length).toBe(6)
    const rel = gpu.map((p, i) => Math.abs(p.loss - (cpu[i]?.loss ?? NaN)) / Math.abs(cpu[i]?.loss ?? NaN))
    console.log(`[gpu parity] MCM+KD loss cpu ${cpu.map((p) => p.loss.toFixed(6)).join(' ')}; webgpu ${gpu.map((p) => p.loss.toFixed(6)).join(' ')}; max rel ${Math.max(...rel).toExponential(2)}`)
    for (const [i, r] of rel.entries()) expect(r, `step ${i + 1}`).toBeLessThan(1e-4)
    const eCpu = runs.cpu.evaluation, eGpu = runs.webgpu.evaluation
    expect(Math.abs((eGpu?.after ?? NaN) - (eCpu?.after ?? NaN)) / (eCpu?.after ?? NaN)).toBeLessThan(1e-4)
    expect(eCpu?.backend).toMatchObject({ name: 'cpu', adapter: 'CPU (pure JS)' })
    expect(eGpu?.backend?.name).toBe('webgpu')
    expect(eGpu?.backend?.adapter).toBe(webgpu)
    expect(eGpu?.backend?.why).toMatch(/forced by option/)
  })

  it('tessera eval --backend webgpu gives the cpu predictions (ABMIL, 2 folds)', async () => {
    expect(tessera('--db', db, 'project', 'create', 'E').code).toBe(0)
    const store = openDatabase(db)
    const projectId = (store.prepare("SELECT id FROM projects WHERE name = 'E'").get() as { id: number }).id
    const add = store.prepare("INSERT INTO slides (project_id, path, name, status) VALUES (?, ?, ?, 'ok')")
    const cohort = syntheticCohort({ slides: 8, patches: 8, dim: 8, seed: 2, signal: 3, lesionFraction: 0.2 })
    const features = join(root, 'features')
    await h5wasm.ready
    mkdirSync(join(features, 'm'), { recursive: true })
    let csv = 'slide,label,patient_id\n'
    for (const b of cohort) {
      const f = new h5wasm.File(join(features, 'm', `${b.slideName}.h5`), 'w')
      f.create_dataset({ name: 'features', data: b.features, shape: [8, 8] })
      f.create_dataset({ name: 'coords', data: BigInt64Array.from(b.coords, (v) => BigInt(v)), shape: [8, 2] }).create_attribute('patch_size_level0', 448)
      f.close()
      add.run(projectId, `/slides/${b.slideName}.svs`, `${b.slideName}.svs`)
      csv += `${b.slideName},${b.label ? 'tumor' : 'normal'},${b.patientId}\n`
    }
    store.close()
    writeFileSync(join(root, 'labels.csv'), csv)
    expect(tessera('--db', db, 'labels', 'import', join(root, 'labels.csv'), '--project', 'E').code).toBe(0)
    const preds: Record<string, string[][]> = {}
    const reports: Record<string, { mil?: Record<string, unknown> }> = {}
    for (const backend of ['cpu', 'webgpu']) {
      const out = join(root, `eval-${backend}`)
      const r = tessera('--db', db, 'eval', '--project', 'E', '--models', 'm', '--features-dir', features, '--folds', '2', '--seed', '5',
        '--max-epochs', '3', '--patience', '3', '--lr', '0.01', '--resamples', '100', '--no-heatmaps', '--backend', backend, '--out', out, '--json')
      expect(r.code, r.stderr.slice(-2000)).toBe(0)
      preds[backend] = readFileSync(join(out, 'predictions.csv'), 'utf8').trim().split('\n').map((l) => l.split(','))
      reports[backend] = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { mil?: Record<string, unknown> }
    }
    expect(reports['webgpu']?.mil?.['backend']).toBe('webgpu')
    expect(reports['cpu']?.mil?.['backend']).toBe('cpu')
    const [header, ...cpuRows] = preds['cpu'] as string[][]
    const gpuRows = (preds['webgpu'] as string[][]).slice(1)
    const probCols = (header as string[]).map((h, i) => [h, i] as const).filter(([h]) => h.startsWith('p_')).map(([, i]) => i)
    expect(probCols.length).toBeGreaterThan(0)
    expect(gpuRows.length).toBe(cpuRows.length)
    let maxDiff = 0
    cpuRows.forEach((row, r) => {
      for (const c of probCols) maxDiff = Math.max(maxDiff, Math.abs(Number(row[c]) - Number(gpuRows[r]?.[c])))
    })
    console.log(`[gpu parity] ABMIL: ${cpuRows.length} slides, max |p_webgpu − p_cpu| = ${maxDiff.toExponential(2)}`)
    expect(Number.isFinite(maxDiff)).toBe(true)
    expect(maxDiff).toBeLessThan(1e-4)
  })
})

it.runIf(process.env['TESSERA_REQUIRE_WEBGPU'] === '1')('has a webgpu adapter to compare (TESSERA_REQUIRE_WEBGPU=1)', () => {
  expect(webgpu).not.toBeNull()
})
