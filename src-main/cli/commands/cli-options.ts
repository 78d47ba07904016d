// Small option parsers shared by the model/features/embed commands (numbers, triples, grid parameters).
import { CliUsageError, type ParsedArgs } from '../command'
import { TISSUE_METHODS, type TissueChoice, type TissueMethod } from '../../../src-shared/domain/grid'

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
  'min-tissue': { type: 'string' },
  ...tissueOptions()
} as const

/** Tissue-method options (grid commands, project tissue, slide tissue). */
export function tissueOptions() {
  return { 'tissue-method': { type: 'string' }, 'saturation-threshold': { type: 'string' }, 'darkness-threshold': { type: 'string' } } as const
}

export const tissueHelp = [
  `--tissue-method M        ${TISSUE_METHODS.join(' | ')} (default: the project's, else combined)`,
  '--saturation-threshold N fixed HSV-saturation threshold 0–255 instead of Otsu',
  '--darkness-threshold N   fixed darkness (255 − grey) threshold 0–255 instead of Otsu'
]

/** The tissue choice given on the command line, or undefined when no tissue option is given. */
export function tissueFromArgs(args: ParsedArgs, fallbackMethod?: TissueMethod): TissueChoice | undefined {
  const method = stringOption(args, 'tissue-method') ?? fallbackMethod
  const sat = numberOption(args, 'saturation-threshold')
  const dark = numberOption(args, 'darkness-threshold')
  if (method === undefined) {
    if (sat !== undefined || dark !== undefined) throw new CliUsageError('--saturation-threshold / --darkness-threshold need --tissue-method')
    return undefined
  }
  if (!(TISSUE_METHODS as readonly string[]).includes(method)) throw new CliUsageError(`--tissue-method must be one of ${TISSUE_METHODS.join(', ')}, got "${method}"`)
  for (const [k, v] of [['saturation-threshold', sat], ['darkness-threshold', dark]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 255)) throw new CliUsageError(`--${k} must be an integer 0–255, got ${v}`)
  }
  return { method: method as TissueMethod, ...(sat !== undefined ? { saturationThreshold: sat } : {}), ...(dark !== undefined ? { darknessThreshold: dark } : {}) }
}

export const gridHelp = [
  '--mpp X           target µm/px of the grid (default 0.5 ≈ 20×)',
  '--patch-size N    patch edge in target pixels (default 224)',
  '--overlap N       overlap in target pixels (default 0)',
  '--min-tissue F    minimum tissue fraction of a patch (default 0.25)',
  ...tissueHelp
]

/** Grid parameters given on the command line (only those given). */
export function gridFromArgs(args: ParsedArgs): { targetMpp?: number; patchSize?: number; overlap?: number; minTissue?: number; tissue?: TissueChoice } {
  const g: { targetMpp?: number; patchSize?: number; overlap?: number; minTissue?: number; tissue?: TissueChoice } = {}
  const tissue = tissueFromArgs(args)
  if (tissue) g.tissue = tissue
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
