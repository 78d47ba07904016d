// CLI: model import | list | export | delete — the model registry (weights + manifest under the data dir).
import { existsSync, statSync } from 'node:fs'
import type { ModelRecord } from '../../../src-shared/domain/types'
import { CliUsageError, requireString, type CliCommand } from '../command'
import { numberOption, stringOption, tripleOption } from './cli-options'

const table = (rows: ModelRecord[]): string =>
  rows.length === 0
    ? 'no models (tessera model import <file> --arch <arch> --name <name>)'
    : rows
        .map((m) => {
          const mf = m.manifest as { arch?: string; inputSize?: number; outputDim?: number | null }
          return `${String(m.id).padStart(4)}  ${m.name.padEnd(24)} ${String(mf.arch).padEnd(10)} ${mf.inputSize}px → ${mf.outputDim ?? '?'}  ${m.kind}  ${(m.weightsHash ?? '').slice(0, 12)}`
        })
        .join('\n')

export const modelCommands: CliCommand[] = [
  {
    name: 'model import',
    summary: 'Import weights (.safetensors for zoo archs, .onnx, or an exported bundle folder) into the registry',
    usage: '<file>',
    options: {
      arch: { type: 'string' },
      name: { type: 'string' },
      kind: { type: 'string' },
      'input-size': { type: 'string' },
      mean: { type: 'string' },
      std: { type: 'string' },
      'output-dim': { type: 'string' },
      mpp: { type: 'string' }
    },
    optionHelp: [
      '--arch A          resnet18|resnet34|resnet50|vit_small|vit_base|smallcnn|onnx',
      '--name N          registry name',
      '--kind K          teacher|student|finetuned|other (default: teacher for ONNX, other otherwise)',
      '--input-size N    input edge in px (default: from the ONNX graph or the architecture)',
      '--mean a,b,c      per-channel mean on 0..1 (default ImageNet)',
      '--std a,b,c       per-channel std (default ImageNet)',
      '--output-dim N    feature width (default: from the graph or the architecture)',
      '--mpp X           resolution the model expects, µm/px'
    ],
    async run(ctx, args) {
      const file = args.positionals[0]
      if (!file) throw new CliUsageError('missing <file>')
      const kind = stringOption(args, 'kind')
      if (kind && !['student', 'teacher', 'finetuned', 'other'].includes(kind)) throw new CliUsageError(`--kind must be teacher, student, finetuned or other`)
      // a bundle folder (from model export) carries its architecture in its manifest
      const bundle = existsSync(file) && statSync(file).isDirectory()
      const arch = stringOption(args, 'arch') ?? (/\.onnx$/i.test(file) ? 'onnx' : undefined)
      const req: Record<string, unknown> = { file, name: requireString(args, 'name'), ...(arch ? { arch } : {}) }
      if (!arch && !bundle) throw new CliUsageError('missing --arch (e.g. resnet18, vit_small, onnx)')
      if (kind) req['kind'] = kind
      const inputSize = numberOption(args, 'input-size')
      const outputDim = numberOption(args, 'output-dim')
      const mpp = numberOption(args, 'mpp')
      const mean = tripleOption(args, 'mean')
      const std = tripleOption(args, 'std')
      Object.assign(req, inputSize ? { inputSize } : {}, outputDim ? { outputDim } : {}, mpp ? { mpp } : {}, mean ? { mean } : {}, std ? { std } : {})
      return ctx.core().dispatch('model.import', req)
    },
    human: (r) => {
      const rec = r as ModelRecord
      const notes = rec.manifest['importNotes']
      const lines = Array.isArray(notes) ? notes.map((n) => `note: ${String(n)}`) : []
      return [table([rec]), ...lines].join('\n')
    }
  },
  {
    name: 'model list',
    summary: 'List registered models',
    async run(ctx) {
      return ctx.core().dispatch('model.list', {})
    },
    human: (r) => table(r as ModelRecord[])
  },
  {
    name: 'model export',
    summary: 'Export a model bundle folder (weights + manifest.json + SHA256SUMS), atomically',
    usage: '<name>',
    options: { format: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } },
    optionHelp: ['--format F   safetensors|onnx|tfjs (TF.js weightsManifest + shard, torch names; no layers topology)', '--out DIR    bundle folder to create', '--force      replace an earlier model export there (other folders are refused)'],
    async run(ctx, args) {
      const name = args.positionals[0]
      if (!name) throw new CliUsageError('missing <name>')
      const format = requireString(args, 'format')
      if (!['safetensors', 'onnx', 'tfjs'].includes(format)) throw new CliUsageError('--format must be safetensors, onnx or tfjs')
      return ctx.core().dispatch('model.export', { model: name, format, out: requireString(args, 'out'), force: args.values['force'] === true })
    }
  },
  {
    name: 'model delete',
    summary: 'Remove a model from the registry (needs --yes)',
    usage: '<name>',
    options: { yes: { type: 'boolean' } },
    optionHelp: ['--yes   confirm'],
    async run(ctx, args) {
      const name = args.positionals[0]
      if (!name) throw new CliUsageError('missing <name>')
      if (args.values['yes'] !== true) throw new CliUsageError('add --yes to remove the model')
      return ctx.core().dispatch('model.delete', { model: name, confirm: true })
    }
  }
]
