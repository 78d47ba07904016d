// CLI: slide info | region | tile | list | set-mpp | set-label, project add, grid (slide-global patch grid + GeoJSON).
import { rename, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { openSlide } from '../../slides/registry'
import { LIMITS, type SlideSource } from '../../slides/slide-source'
import { contentKey } from '../../slides/service/content-key'
import { slideInfo } from '../../slides/service/slides-service'
import { encodePng, readRegionRgb } from '../../tiles/render'
import { TileService } from '../../tiles/tile-service'
import { computeGrid } from '../../tissue/grid-store'
import { tissueFraction } from '../../tissue/tissue-mask'
import { tissueFromArgs, tissueHelp, tissueOptions } from './cli-options'
import { patchesToGeoJSON, tissueToGeoJSON } from '../../interop/geojson'
import type { AddSlidesResult, SlideInfo } from '../../../src-shared/contracts/slides'
import type { Slide } from '../../../src-shared/domain/types'
import { CliUsageError, intOption, requireString, type CliCommand, type ParsedArgs } from '../command'

/** Write via a temp file + rename so a failed run never leaves a half-written output. */
async function writeAtomic(path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  await writeFile(tmp, data)
  await rename(tmp, path)
}

async function withFile<T>(positionals: string[], fn: (source: SlideSource) => Promise<T>): Promise<T> {
  const file = positionals[0]
  if (!file) throw new CliUsageError('missing <file>')
  const source = await openSlide(resolve(file))
  try {
    return await fn(source)
  } finally {
    await source.close()
  }
}

function numberOption(args: ParsedArgs, key: string, fallback: number | null): number | null {
  const v = args.values[key]
  if (v === undefined) return fallback
  const n = Number(v)
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new CliUsageError(`--${key} must be a number, got "${String(v)}"`)
  return n
}

function requireInt(args: ParsedArgs, key: string): number {
  requireString(args, key)
  return intOption(args, key, 0)
}

const humanInfo = (r: unknown): string => {
  const i = r as SlideInfo
  const lv = i.levels.map((l, n) => `  level ${n}: ${l.width}×${l.height}  downsample ${l.downsample}  tile ${l.tileWidth ?? '-'}×${l.tileHeight ?? '-'}`)
  return [
    `${i.path}`,
    `  vendor ${i.vendor} (reader ${i.reader}), ${i.width}×${i.height} px`,
    `  mpp ${i.mppX ?? '?'} × ${i.mppY ?? '?'} µm/px, objective ${i.objectivePower ?? '?'}×`,
    ...(i.resolutionProblem ? [`  WARNING ${i.resolutionProblem} (tessera slide set-mpp, or grid --mpp-override)`] : []),
    ...lv,
    `  associated images: ${i.associatedImages.join(', ') || 'none'}`,
    `  content key ${i.contentKey}`
  ].join('\n')
}

/** Tissue coverage of the slide's latest mask, so a wrong mask (e.g. pale IHC under saturation) shows in the list. */
const coverage = (s: Slide): string =>
  s.tissueCoverage === null ? 'tissue —' : `tissue ${(s.tissueCoverage * 100).toFixed(1)} % (${s.tissueMethod ?? '?'})`

/** --patch-size, the name the features commands use; --patch is its alias (both given must agree). */
function patchSizeOption(args: ParsedArgs): number {
  const size = args.values['patch-size'] !== undefined ? intOption(args, 'patch-size', 224) : undefined
  const alias = args.values['patch'] !== undefined ? intOption(args, 'patch', 224) : undefined
  if (size !== undefined && alias !== undefined && size !== alias) throw new CliUsageError(`--patch-size ${size} and --patch ${alias} disagree (--patch is an alias of --patch-size)`)
  return size ?? alias ?? 224
}

export const slideCommands: CliCommand[] = [
  {
    name: 'slide info',
    summary: 'Metadata of a slide file: vendor, size, levels, mpp, associated images, reader',
    usage: '<file>',
    async run(_ctx, { positionals }) {
      return withFile(positionals, async (s) => slideInfo(s, await contentKey(s.path, s.metadata)))
    },
    human: humanInfo
  },
  {
    name: 'slide region',
    summary: 'Write a region as PNG (level-0 x/y as OpenSlide read_region; RGB on white)',
    usage: '<file>',
    options: { x: { type: 'string' }, y: { type: 'string' }, level: { type: 'string' }, width: { type: 'string' }, height: { type: 'string' }, out: { type: 'string' } },
    optionHelp: ['--x X --y Y           top-left in level-0 px (at level > 0: the level pixel covering it, no resampling)', '--level L             slide level (default 0)', '--width W --height H  size in level pixels', '--out region.png      output file'],
    async run(_ctx, args) {
      const out = resolve(requireString(args, 'out'))
      const [x, y, w, h] = [requireInt(args, 'x'), requireInt(args, 'y'), requireInt(args, 'width'), requireInt(args, 'height')]
      const level = intOption(args, 'level', 0)
      if (w <= 0 || h <= 0) throw new CliUsageError('--width and --height must be positive')
      if (w * h > LIMITS.maxRegionPixels) throw new CliUsageError(`region ${w}×${h} exceeds ${LIMITS.maxRegionPixels} pixels`)
      return withFile(args.positionals, async (s) => {
        await writeAtomic(out, await encodePng(await readRegionRgb(s, x, y, level, w, h)))
        return { out, x, y, level, width: w, height: h }
      })
    }
  },
  {
    name: 'slide tile',
    summary: 'Write one Deep Zoom tile (OpenSeadragon addressing: level Z, col, row) as JPEG',
    usage: '<file>',
    options: { level: { type: 'string' }, col: { type: 'string' }, row: { type: 'string' }, out: { type: 'string' }, 'no-pass-through': { type: 'boolean' } },
    optionHelp: ['--level Z --col C --row R   Deep Zoom tile address', '--out tile.jpg              output file', '--no-pass-through           always decode + re-encode'],
    async run(_ctx, args) {
      const out = resolve(requireString(args, 'out'))
      const [z, col, row] = [requireInt(args, 'level'), requireInt(args, 'col'), requireInt(args, 'row')]
      return withFile(args.positionals, async (s) => {
        const tiles = new TileService({ passThrough: args.values['no-pass-through'] !== true })
        const tile = await tiles.tile(s, 'cli', z, col, row)
        if (!tile) throw new CliUsageError(`tile ${z}/${col}_${row} is outside the Deep Zoom pyramid of ${s.path}`)
        await writeAtomic(out, tile.bytes)
        return { out, z, col, row, bytes: tile.bytes.length, how: tile.how }
      })
    }
  },
  {
    name: 'project add',
    summary: 'Add slide files or folders (scanned recursively by content) to a project',
    usage: '<project> <files or folders…>',
    async run(ctx, { positionals }) {
      const [ref, ...paths] = positionals
      if (!ref || paths.length === 0) throw new CliUsageError('usage: project add <project> <files or folders…>')
      const core = ctx.core()
      const result = (await core.dispatch('slide.add', { projectId: core.projects.resolve(ref).id, paths: paths.map((p) => resolve(p)) })) as AddSlidesResult
      for (const f of result.failed) ctx.log(`error: ${f.error ?? f.path}`)
      if (result.added.length === 0 && result.failed.length > 0) throw new Error(`no slide added: ${result.failed.length} failed`)
      if (result.added.length === 0) {
        const why = result.skipped.length ? `${result.skipped.length} file(s) there are not slides` : 'no files there'
        throw new Error(`no slide added: none found in ${paths.join(', ')} (${why})`)
      }
      return result
    },
    human: (r) => {
      const a = r as AddSlidesResult
      return [`added ${a.added.length} slide(s), ${a.failed.length} failed, ${a.skipped.length} non-slide file(s) skipped`, ...a.failed.map((f) => `  failed: ${f.error ?? f.path}`)].join('\n')
    }
  },
  {
    name: 'slide list',
    summary: 'List the slides of a project',
    usage: '<project>',
    async run(ctx, { positionals }) {
      if (!positionals[0]) throw new CliUsageError('missing <project>')
      const core = ctx.core()
      return core.dispatch('slide.list', { projectId: core.projects.resolve(positionals[0]).id })
    },
    human: (r) =>
      (r as Slide[])
        .map((s) => `${String(s.id).padStart(4)}  ${s.status.padEnd(5)} ${s.name}  ${s.width ?? '?'}×${s.height ?? '?'}  mpp ${s.mppOverride ?? s.mppX ?? '?'}  ${coverage(s)}${s.error ? `  ${s.error}` : ''}${s.resolutionProblem ? `  ! ${s.resolutionProblem}` : ''}`)
        .join('\n') || 'no slides'
  },
  {
    name: 'slide set-mpp',
    summary: 'Set the µm/px of level 0 for a slide whose metadata lacks it ("none" clears it)',
    usage: '<slide id> <mpp|none>',
    async run(ctx, { positionals }) {
      const [id, mpp] = positionals
      if (!id || !mpp) throw new CliUsageError('usage: slide set-mpp <slide id> <mpp|none>')
      const value = mpp === 'none' ? null : Number(mpp)
      if (value !== null && !(value > 0)) throw new CliUsageError(`mpp must be a positive number or "none", got "${mpp}"`)
      return ctx.core().dispatch('slide.setMppOverride', { id: Number(id), mpp: value })
    }
  },
  {
    name: 'grid',
    summary: 'Tissue mask + slide-global patch grid of a slide file at a target mpp (optionally GeoJSON for QuPath)',
    usage: '<file>',
    options: {
      mpp: { type: 'string' },
      'patch-size': { type: 'string' },
      /** old name of --patch-size, kept as an alias */
      patch: { type: 'string' },
      overlap: { type: 'string' },
      'min-tissue': { type: 'string' },
      'mpp-override': { type: 'string' },
      geojson: { type: 'string' },
      ...tissueOptions()
    },
    optionHelp: [
      '--mpp M              target µm/px (default 0.5)',
      '--patch-size P       patch edge in target px (default 224; --patch is an alias)',
      '--overlap O          overlap in target px (default 0)',
      '--min-tissue F       keep patches with tissue fraction ≥ F (default 0.25)',
      '--mpp-override M     level-0 µm/px when the file has none',
      '--geojson out.json   write tissue outline + grid tiles (level-0 px)',
      ...tissueHelp.filter((h) => !h.includes('geojson'))
    ],
    async run(ctx, args) {
      const params = {
        targetMpp: numberOption(args, 'mpp', 0.5) as number,
        patchSize: patchSizeOption(args),
        overlap: intOption(args, 'overlap', 0),
        minTissue: numberOption(args, 'min-tissue', 0.25) as number,
        ...(tissueFromArgs(args) ? { tissue: tissueFromArgs(args) } : {})
      }
      if (params.tissue?.method === 'geojson') throw new CliUsageError('grid on a loose file has no annotation: add the slide to a project and use slide tissue-import')
      const override = numberOption(args, 'mpp-override', null)
      const geojson = typeof args.values['geojson'] === 'string' ? resolve(args.values['geojson']) : null
      return withFile(args.positionals, async (s) => {
        ctx.log(`computing tissue mask and grid for ${s.path}…`)
        const { info, patches, mask } = await computeGrid(s, await contentKey(s.path, s.metadata), override, params)
        if (geojson) {
          const tissue = tissueToGeoJSON(mask, { threshold: mask.threshold, maskParams: mask.params })
          const grid = patchesToGeoJSON(patches, info.patchSizeLevel0, {}, { gridKey: info.key })
          await writeAtomic(geojson, JSON.stringify({ type: 'FeatureCollection', features: [...tissue.features, ...grid.features] }))
          ctx.log(`wrote ${geojson}`)
        }
        return {
          info,
          count: patches.length,
          tissueMask: { width: mask.width, height: mask.height, downsample: mask.downsample, threshold: mask.threshold, params: mask.params, coverage: tissueFraction(mask) },
          patches: { x: patches.map((p) => p.x), y: patches.map((p) => p.y), col: patches.map((p) => p.col), row: patches.map((p) => p.row), tissue: patches.map((p) => p.tissue) },
          ...(geojson ? { geojson } : {})
        }
      })
    },
    human: (r) => {
      const g = r as {
        info: { key: string; name?: string; cols: number; rows: number; patchSizeLevel0: number; readLevel: number; readDownsample: number; level0Mpp: number }
        count: number
        tissueMask: { coverage: number; params: { method: string } }
      }
      return `${g.count} patches on a ${g.info.cols}×${g.info.rows} grid; footprint ${g.info.patchSizeLevel0} level-0 px (level-0 mpp ${g.info.level0Mpp}); read level ${g.info.readLevel} ×${g.info.readDownsample.toFixed(3)}; tissue ${(g.tissueMask.coverage * 100).toFixed(1)} % (${g.tissueMask.params.method}); grid ${g.info.name ?? '?'}; key ${g.info.key}`
    }
  }
]
