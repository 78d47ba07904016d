// Writes one painted cohort slide as an Aperio-style pyramidal TIFF (.svs): JPEG tiles, 2× levels, MPP and AppMag.
// Uses the shared synthetic-slide TIFF writer (slides/synth); the write is atomic (temp file + rename).
import { renameSync, rmSync } from 'node:fs'
import { writePyramidalTiff } from '../slides/synth/pyramid'
import type { CohortParams } from './recipe'

const APERIO_LIB = 'Aperio Image Library v12.0.15'
const TILE = 256

export interface WrittenSlide {
  levels: { width: number; height: number }[]
}

/**
 * Cost: ~1 ms per 256² JPEG tile plus one resize per level (~50 tiles for a 1536² slide: well under a second).
 * Readers find MPP in the Aperio ImageDescription (OpenSlide 3.4+) and in the TIFF resolution tags.
 */
export async function writeCohortSlide(path: string, rgb: Uint8Array, p: CohortParams, slideId: string): Promise<WrittenSlide> {
  const { width: w, height: h } = p
  const common =
    `|AppMag = ${p.appMag}|StripeWidth = 2040|ScanScope ID = TESSERA-SYNTH|Filename = ${slideId}|Date = 01/01/26|Time = 12:00:00` +
    `|MPP = ${p.mpp.toFixed(4)}|Left = 0.0|Top = 0.0|Title = Tessera synthetic demo cohort (generated, not a real slide)`
  const codec = `JPEG/RGB Q=${p.jpegQuality}`
  const tmp = `${path}.tmp-${process.pid}`
  try {
    const result = await writePyramidalTiff({
      path: tmp,
      level0: { width: w, height: h, data: rgb },
      levelStep: 2,
      tileSize: TILE,
      compression: 'jpeg',
      quality: p.jpegQuality,
      mpp: p.mpp,
      description: (level, r) =>
        level === 0
          ? `${APERIO_LIB} \r\n${w}x${h} [0,0 ${w}x${h}] (${TILE}x${TILE}) ${codec}${common}`
          : `${APERIO_LIB} \r\n${w}x${h} [0,0 ${w}x${h}] (${TILE}x${TILE}) -> ${r.width}x${r.height} ${codec}${common}`
    })
    renameSync(tmp, path)
    return result
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}
