// A byte-bounded least-recently-used cache (Map insertion order = recency); evicted values go to onEvict.

export interface LruOptions<V> {
  /** total size budget, in whatever unit sizeOf returns (bytes for tiles, 1 per entry for handles) */
  maxSize: number
  sizeOf: (value: V) => number
  onEvict?: (key: string, value: V) => void
}

export class Lru<V> {
  private readonly entries = new Map<string, { value: V; size: number }>()
  private total = 0

  constructor(private readonly options: LruOptions<V>) {}

  get size(): number {
    return this.total
  }

  get count(): number {
    return this.entries.size
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key)
    if (!e) return undefined
    // re-insert to mark as most recently used
    this.entries.delete(key)
    this.entries.set(key, e)
    return e.value
  }

  has(key: string): boolean {
    return this.entries.has(key)
  }

  /** Insert; a value larger than the whole budget is not stored (and not evicted: the caller keeps it). */
  set(key: string, value: V): void {
    const size = this.options.sizeOf(value)
    if (size > this.options.maxSize) return
    this.delete(key)
    this.entries.set(key, { value, size })
    this.total += size
    for (const [k, e] of this.entries) {
      if (this.total <= this.options.maxSize) break
      this.entries.delete(k)
      this.total -= e.size
      this.options.onEvict?.(k, e.value)
    }
  }

  delete(key: string): boolean {
    const e = this.entries.get(key)
    if (!e) return false
    this.entries.delete(key)
    this.total -= e.size
    this.options.onEvict?.(key, e.value)
    return true
  }

  /** Remove every entry whose key starts with prefix (e.g. all tiles of one slide). */
  deletePrefix(prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.delete(k)
  }

  clear(): void {
    for (const k of [...this.entries.keys()]) this.delete(k)
  }
}
