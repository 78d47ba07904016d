// Optional capability of a SlideSource: hand out a stored JPEG tile as bytes, so Deep Zoom can pass it through
// without decoding and re-encoding (0.01 ms instead of ~4 ms per tile; see shared notes slides.md §3).
import type { SlideSource } from '../slides/slide-source'

export interface RawJpegTile {
  /** the stored tile bytes (SOI … EOI), possibly abbreviated (no quantisation/Huffman tables) */
  bytes: Uint8Array
  /** the level's JPEGTables (SOI tables EOI), or null when each tile is a complete JPEG */
  jpegTables: Uint8Array | null
}

export interface RawTileCapable {
  /** stored tile (col,row) of `level`; null when that level is not JPEG-tiled or the tile is missing */
  readRawTile(level: number, col: number, row: number, signal?: AbortSignal): Promise<RawJpegTile | null>
}

/** The TIFF reader's variant (src-main/slides/tiff/tiff-slide.ts): the tile already completed with its tables. */
export interface CompleteJpegTileCapable {
  rawJpegTile(level: number, col: number, row: number): Promise<Buffer | null>
}

export function canReadRawTiles(source: SlideSource): boolean {
  return (
    typeof (source as Partial<RawTileCapable>).readRawTile === 'function' ||
    typeof (source as Partial<CompleteJpegTileCapable>).rawJpegTile === 'function'
  )
}

/** A complete JPEG of stored tile (col,row) of `level`, or null when the source cannot hand one out. */
export async function readStoredJpegTile(source: SlideSource, level: number, col: number, row: number, signal?: AbortSignal): Promise<Buffer | null> {
  const a = source as Partial<RawTileCapable>
  if (typeof a.readRawTile === 'function') {
    const raw = await a.readRawTile(level, col, row, signal)
    return raw ? spliceJpegTables(raw.bytes, raw.jpegTables) : null
  }
  const b = source as Partial<CompleteJpegTileCapable>
  if (typeof b.rawJpegTile === 'function') {
    const jpeg = await b.rawJpegTile(level, col, row)
    if (jpeg && (jpeg[0] !== 0xff || jpeg[1] !== 0xd8)) throw new Error(`${source.path}: stored tile ${col},${row} of level ${level} is not a JPEG`)
    return jpeg
  }
  return null
}

const SOI = [0xff, 0xd8]

/**
 * A complete JPEG from an abbreviated tile and its tables: the tables without their EOI, then the tile without its SOI.
 * Throws when either part does not look like JPEG, so a bad file never reaches the viewer as garbage bytes.
 */
export function spliceJpegTables(tile: Uint8Array, tables: Uint8Array | null): Buffer {
  if (tile.length < 4 || tile[0] !== SOI[0] || tile[1] !== SOI[1]) throw new Error('stored tile does not start with a JPEG SOI marker')
  if (!tables || tables.length <= 4) return Buffer.from(tile)
  if (tables[0] !== SOI[0] || tables[1] !== SOI[1]) throw new Error('JPEGTables do not start with a JPEG SOI marker')
  const end = tables[tables.length - 2] === 0xff && tables[tables.length - 1] === 0xd9 ? tables.length - 2 : tables.length
  return Buffer.concat([tables.subarray(0, end), tile.subarray(2)])
}
