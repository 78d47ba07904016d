// Open slide handles, shared and reused: at most `max` idle-or-busy handles; the least recently used is closed
// on eviction, but only once no caller is using it (reference counted), so a tile in flight never loses its file.
import type { SlideSource } from '../slide-source'

export type SlideOpener = (path: string, options?: { signal?: AbortSignal }) => Promise<SlideSource>

interface Entry {
  source: Promise<SlideSource>
  users: number
  evicted: boolean
}

export class SlideHandles {
  private readonly entries = new Map<string, Entry>()

  constructor(
    private readonly open: SlideOpener,
    private readonly max = 8
  ) {}

  /** Run fn with the (cached) open slide at path. */
  async with<T>(path: string, fn: (source: SlideSource) => Promise<T>): Promise<T> {
    let e = this.entries.get(path)
    if (e) {
      this.entries.delete(path)
      this.entries.set(path, e) // most recently used
    } else {
      e = { source: this.open(path), users: 0, evicted: false }
      this.entries.set(path, e)
      e.source.catch(() => this.entries.get(path) === e && this.entries.delete(path)) // never cache a failed open
      this.evict()
    }
    const entry = e
    entry.users++
    try {
      return await fn(await entry.source)
    } finally {
      entry.users--
      if (entry.evicted && entry.users === 0) await this.closeEntry(entry)
    }
  }

  private evict(): void {
    for (const [path, e] of this.entries) {
      if (this.entries.size <= this.max) break
      this.entries.delete(path)
      e.evicted = true
      if (e.users === 0) void this.closeEntry(e)
    }
  }

  private async closeEntry(e: Entry): Promise<void> {
    try {
      await (await e.source).close()
    } catch {
      // a failed open or close has nothing left to release
    }
  }

  /** Close the handle of one path (file removed or replaced). */
  async forget(path: string): Promise<void> {
    const e = this.entries.get(path)
    if (!e) return
    this.entries.delete(path)
    e.evicted = true
    if (e.users === 0) await this.closeEntry(e)
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((p) => this.forget(p)))
  }

  get openCount(): number {
    return this.entries.size
  }
}
