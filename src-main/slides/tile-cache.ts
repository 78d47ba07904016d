// Byte-bounded LRU of decoded tiles with in-flight de-duplication (concurrent reads of one tile decode it once).
// Map insertion order gives LRU cheaply: a hit re-inserts the key at the end; eviction takes from the front.

export interface DecodedTile {
  /** interleaved RGBA (alpha 255) of the full tile: region assembly copies whole rows with set() */
  rgba: Uint8Array
  width: number
  height: number
}

export class TileCache {
  private readonly entries = new Map<string, DecodedTile>()
  private readonly pending = new Map<string, Promise<DecodedTile>>()
  private bytes = 0
  hits = 0
  misses = 0

  constructor(readonly maxBytes: number = 128 * 1024 * 1024) {}

  get size(): number {
    return this.bytes
  }

  async get(key: string, load: () => Promise<DecodedTile>): Promise<DecodedTile> {
    const hit = this.entries.get(key)
    if (hit) {
      this.hits++
      this.entries.delete(key)
      this.entries.set(key, hit)
      return hit
    }
    const inFlight = this.pending.get(key)
    if (inFlight) return inFlight
    this.misses++
    const promise = load().then(
      (tile) => {
        this.pending.delete(key)
        this.put(key, tile)
        return tile
      },
      (e: unknown) => {
        this.pending.delete(key)
        throw e
      }
    )
    this.pending.set(key, promise)
    return promise
  }

  private put(key: string, tile: DecodedTile): void {
    const size = tile.rgba.byteLength
    if (size > this.maxBytes) return
    this.entries.set(key, tile)
    this.bytes += size
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(k)
      this.bytes -= v.rgba.byteLength
    }
  }

  /** Drop every entry whose key starts with `prefix` (a closed slide). */
  evictPrefix(prefix: string): void {
    for (const [k, v] of this.entries) {
      if (k.startsWith(prefix)) {
        this.entries.delete(k)
        this.bytes -= v.rgba.byteLength
      }
    }
  }
}

/** One process-wide cache shared by all open slides (bounded in bytes, not per slide). */
export const sharedTileCache = new TileCache()
