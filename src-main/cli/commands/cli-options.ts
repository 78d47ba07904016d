// Small option parsers shared by the model/features/embed commands (numbers, triples, grid parameters).
import { CliUsageError, type ParsedArgs } from '../command'

export function numberOption(args: ParsedArgs, key: string): number | undefined {
  const v = args.values[key]
  if (v === undefined) return undefined
  const n = Number(v)
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new CliUsageError(`--${key} must be a number, got "${String(v)}"`)
  return n
}

export function tripleOption(args: ParsedArgs, key: string): [number, number, number] | undefined {
  const v = args.values[key]
  if (v === undefined) return undefined
  const parts = String(v).split(',').map(Number)
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x))) throw new CliUsageError(`--${key} needs three numbers like 0.485,0.456,0.406`)
  return parts as [number, number, number]
}

export function stringOption(args: ParsedArgs, key: string): string | undefined {
  const v = args.values[key]
  return typeof v === 'string' && v.length > 0 ? v : undefined
}

export const gridOptions = {
  mpp: { type: 'string' },
  'patch-size': { type: 'string' },
  overlap: { type: 'string' },
  'min-tissue': { type: 'string' }
} as const

export const gridHelp = [
  '--mpp X           target µm/px of the grid (default 0.5 ≈ 20×)',
  '--patch-size N    patch edge in target pixels (default 224)',
  '--overlap N       overlap in target pixels (default 0)',
  '--min-tissue F    minimum tissue fraction of a patch (default 0.25)'
]

/** Grid parameters given on the command line (only those given). */
export function gridFromArgs(args: ParsedArgs): { targetMpp?: number; patchSize?: number; overlap?: number; minTissue?: number } {
  const g: { targetMpp?: number; patchSize?: number; overlap?: number; minTissue?: number } = {}
  const mpp = numberOption(args, 'mpp')
  const ps = numberOption(args, 'patch-size')
  const ov = numberOption(args, 'overlap')
  const mt = numberOption(args, 'min-tissue')
  if (mpp !== undefined) g.targetMpp = mpp
  if (ps !== undefined) g.patchSize = ps
  if (ov !== undefined) g.overlap = ov
  if (mt !== undefined) g.minTissue = mt
  return g
}
