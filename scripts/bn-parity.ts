// ResNet-18 train-mode step on the PyTorch parity fixture (formula weights @224, b2), error of features, running stats
// and the fixture's three gradients against torch float32 and the float64 truth (tests/fixtures/torch/parity.json).
// Usage: [TESSERA_FUSED_BATCHNORM=0|1] npx tsx scripts/bn-parity.ts [wasm|cpu]   (cpu: several minutes)
//        npx tsx scripts/bn-parity.ts --other-inputs OUT.json   (OUT.json from torch_parity_f64.py --other-inputs: the
//        gradients' error against float64 on four other formula inputs, composite and fused BatchNorm, wasm)
//        [TESSERA_NATIVE_KERNELS=0] npx tsx scripts/bn-parity.ts --margin   (the kink-aware 64×64 fixture,
//        parity_margin.json: every stored tensor's error per BatchNorm path, composite and fused where available)
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { useBackend } from '../src-main/ml/backend'
import { formulaTrainStep, type FormulaStep } from '../tests/unit/ml/formula-train-step'
import { marginRows, marginStep, type MarginRow } from '../tests/unit/ml/parity-margin'
import { fusedBatchNormAvailable } from '../src-main/ml/nn/batch-norm-kernels'

type Refs = { feats: number[]; stats: Record<string, number[]>; grads: Record<string, number[]> }
const parity = JSON.parse(readFileSync(fileURLToPath(new URL('../tests/fixtures/torch/parity.json', import.meta.url)), 'utf8')) as Record<string, unknown>
const f32: Refs = { feats: parity['resnet18_train'] as number[], stats: parity['resnet18_train_running_stats'] as Refs['stats'], grads: parity['resnet18_train_grads'] as Refs['grads'] }
const f64: Refs = { feats: parity['resnet18_train_f64'] as number[], stats: parity['resnet18_train_running_stats_f64'] as Refs['stats'], grads: parity['resnet18_train_grads_f64'] as Refs['grads'] }

/** max |a-b| / max |b| (the parity test's metric) */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, s = 1e-12
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number))); s = Math.max(s, Math.abs(b[i] as number)) }
  return d / s
}

/** one train step on formula weights and the formula input `inputName`; the fixture's tensors in torch layout */
function step(inputName: string): FormulaStep {
  return formulaTrainStep({ name: inputName, shape: [2, 3, 224, 224] }, Object.keys(f32.stats), Object.keys(f32.grads),
    (name, data) => Array.from(data.slice(0, f32.grads[name]?.length ?? 0)))
}

async function otherInputs(path: string): Promise<void> {
  const refs = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { f64: Record<string, number[]>; f32: Record<string, number[]> }>
  await useBackend('wasm')
  for (const fused of ['0', '1']) {
    process.env['TESSERA_FUSED_BATCHNORM'] = fused
    for (const [input, r] of Object.entries(refs)) {
      const got = step(input)
      const errs = Object.entries(r.f64).map(([k, ref]) => `${k} ${relErr(got.grads[k] ?? [], ref).toExponential(2)} (torch f32 ${relErr(r.f32[k] ?? [], ref).toExponential(2)})`)
      console.log(`${fused === '1' ? 'fused    ' : 'composite'} ${input}: ${errs.join(', ')}`)
    }
  }
}

async function margin(): Promise<void> {
  await useBackend('wasm')
  const table: Record<string, MarginRow[]> = {}
  for (const fused of ['0', '1']) {
    process.env['TESSERA_FUSED_BATCHNORM'] = fused
    if (fused === '1' && !fusedBatchNormAvailable()) continue
    const t0 = Date.now()
    table[fused === '1' ? 'fused' : 'composite'] = marginRows(marginStep())
    console.log(`${fused === '1' ? 'fused' : 'composite'}: step ${Date.now() - t0} ms`)
  }
  const paths = Object.keys(table)
  const first = table[paths[0] as string] ?? []
  console.log(['tensor', 'kind', 'limit', 'torch f32 vs f64', ...paths.flatMap((p) => [`${p} vs f32`, `${p} vs f64`])].join(' | '))
  first.forEach((r, i) => {
    const cells = paths.flatMap((p) => { const q = table[p]?.[i]; return q ? [q.vsF32, q.vsF64] : [] })
    const fail = paths.some((p) => { const q = table[p]?.[i]; return q !== undefined && (q.vsF64 >= q.limit || (q.kind !== 'gross' && q.vsF32 >= q.limit)) })
    console.log([r.name, r.kind, r.limit.toExponential(1), r.torchF32.toExponential(2), ...cells.map((c) => c.toExponential(2))].join(' | ') + (fail ? ' | FAIL' : ''))
  })
}

async function main(): Promise<void> {
  if (process.argv[2] === '--other-inputs') return otherInputs(process.argv[3] ?? '')
  if (process.argv[2] === '--margin') return margin()
  const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu'
  await useBackend(backend)
  const t0 = Date.now()
  const ours = step('input')
  console.log(`backend ${backend}, TESSERA_FUSED_BATCHNORM=${process.env['TESSERA_FUSED_BATCHNORM'] ?? '(unset)'}, step ${Date.now() - t0} ms`)
  console.log('tensor'.padEnd(26), 'vs torch f32'.padStart(13), 'vs f64'.padStart(11), 'torch f32 vs f64'.padStart(17))
  const row = (name: string, a: number[], r32: number[], r64: number[]): void =>
    console.log(name.padEnd(26), relErr(a, r32).toExponential(2).padStart(13), relErr(a, r64).toExponential(2).padStart(11), relErr(r32, r64).toExponential(2).padStart(17))
  row('features', ours.feats, f32.feats, f64.feats)
  for (const k of Object.keys(f32.stats)) row(k, ours.stats[k] ?? [], f32.stats[k] ?? [], f64.stats[k] ?? [])
  for (const k of Object.keys(f32.grads)) row(k, ours.grads[k] ?? [], f32.grads[k] ?? [], f64.grads[k] ?? [])
}

void main()
