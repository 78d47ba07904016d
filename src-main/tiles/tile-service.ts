// Deep Zoom tiles and thumbnails for a slide: pass-through of stored JPEG tiles when the level matches,
// otherwise read + resize + encode (JPEG Q80); encoded tiles kept in a byte-bounded LRU keyed by content key.
import type { SlideSource } from '../slides/slide-source'
import { Lru } from './lru'
import { dziXml, planTile, maxZoom } from './deep-zoom'
import { canReadRawTiles, readStoredJpegTile } from './raw-tiles'
import { encodeJpeg, renderRegion } from './render'

export interface TileResult {
  bytes: Buffer
  /** 'pass-through' = stored bytes spliced with JPEGTables, 'rendered' = decoded, resized, re-encoded, 'cache' = LRU hit */
  how: 'pass-through' | 'rendered' | 'cache'
}

export interface TileServiceOptions {
  /** LRU budget for encoded tiles and thumbnails (default 64 MiB) */
  cacheBytes?: number
  /** JPEG quality of rendered tiles (default 80) */
  quality?: number
  /** set false to force rendering (benchmarks compare both paths) */
  passThrough?: boolean
}

export class TileService {
  private readonly cache: Lru<Buffer>
  private readonly quality: number
  private readonly passThrough: boolean

  constructor(options: TileServiceOptions = {}) {
    this.cache = new Lru<Buffer>({ maxSize: options.cacheBytes ?? 64 * 1024 * 1024, sizeOf: (b) => b.length })
    this.quality = options.quality ?? 80
    this.passThrough = options.passThrough ?? true
  }

  dzi(source: SlideSource): string {
    return dziXml(source.metadata.width, source.metadata.height)
  }

  /**
   * One Deep Zoom tile; null when (z, col, row) lies outside the pyramid.
   * `cacheKey` identifies the slide content (its content key), so a changed file never serves stale tiles.
   */
  async tile(source: SlideSource, cacheKey: string, z: number, col: number, row: number, signal?: AbortSignal): Promise<TileResult | null> {
    const key = `${cacheKey}/${z}/${col}_${row}`
    const hit = this.cache.get(key)
    if (hit) return { bytes: hit, how: 'cache' }
    const plan = planTile(source.metadata, z, col, row)
    if (!plan) return null
    if (this.passThrough && plan.passThrough && canReadRawTiles(source)) {
      const bytes = await readStoredJpegTile(source, plan.level, plan.passThrough.col, plan.passThrough.row, signal)
      if (bytes) {
        this.cache.set(key, bytes)
        return { bytes, how: 'pass-through' }
      }
    }
    const scale = 2 ** (maxZoom(source.metadata.width, source.metadata.height) - z)
    const img = await renderRegion(source, scale, col * 256, row * 256, plan.width, plan.height, signal)
    const bytes = await encodeJpeg(img, this.quality)
    this.cache.set(key, bytes)
    return { bytes, how: 'rendered' }
  }

  /** Whole-slide thumbnail whose longer side is `size` px (never larger than level 0). */
  async thumbnail(source: SlideSource, cacheKey: string, size = 1024, signal?: AbortSignal): Promise<Buffer> {
    const { width, height } = source.metadata
    const key = `${cacheKey}/thumbnail/${size}`
    const hit = this.cache.get(key)
    if (hit) return hit
    const scale = Math.max(1, Math.max(width, height) / size)
    const w = Math.max(1, Math.round(width / scale))
    const h = Math.max(1, Math.round(height / scale))
    const bytes = await encodeJpeg(await renderRegion(source, scale, 0, 0, w, h, signal), this.quality)
    this.cache.set(key, bytes)
    return bytes
  }

  /** Drop every cached tile of one slide (after remove or when its file changed). */
  forget(cacheKey: string): void {
    this.cache.deletePrefix(`${cacheKey}/`)
  }

  get cachedBytes(): number {
    return this.cache.size
  }
}
