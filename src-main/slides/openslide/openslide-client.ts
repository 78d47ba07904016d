// App side of the OpenSlide backend: one lazily started host child process (crash-isolated), and a SlideSource
// over it. A host crash rejects in-flight requests with a SlideError; the next call starts a fresh host and
// slides re-open themselves there. Cost: ~0.3 s to start the host; per region, one IPC round trip (~0.1 ms + copy).
import { processEntry } from '../../core/entry-point'
import { launchChild } from '../../core/child-launch'
import type { ChildProcess } from 'node:child_process'
import { checkRegionArgs } from '../region'
import type { RgbaImage, SlideMetadata, SlideSource } from '../slide-source'
import { SlideError } from '../slide-source'
import type { OpenSlideInfo } from './binding'
import type { HostReply, HostRequest } from './protocol'

type Pending = { resolve: (r: HostReply & { ok: true }) => void; reject: (e: Error) => void }
type Payload = HostRequest extends infer R ? (R extends HostRequest ? Omit<R, 'id'> : never) : never

function hostEntry(): { file: string; execArgv: string[] } {
  return processEntry(import.meta.url, 'host')
}

export class OpenSlideHost {
  private child: ChildProcess | null = null
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  /** increments each time a host process is started; handles from older generations are dead */
  generation = 0

  private start(): ChildProcess {
    if (this.child) return this.child
    const { file, execArgv } = hostEntry()
    const child = launchChild(file, { execArgv, stdout: 'inherit', stderr: 'inherit' })
    this.generation++
    child.on('message', (reply: HostReply) => {
      const p = this.pending.get(reply.id)
      if (!p) return
      this.pending.delete(reply.id)
      this.updateRef()
      if (reply.ok) p.resolve(reply)
      else p.reject(new Error(reply.error))
    })
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null
      const err = new Error(`OpenSlide host process died (${signal ?? `exit ${code}`})`)
      for (const p of this.pending.values()) p.reject(err)
      this.pending.clear()
    })
    this.child = child
    return child
  }

  /** Keep the parent alive only while requests are in flight. */
  private updateRef(): void {
    const c = this.child
    if (!c) return
    if (this.pending.size) {
      c.ref()
      c.channel?.ref()
    } else {
      c.unref()
      c.channel?.unref()
    }
  }

  /** A request unanswered this long means the C library hangs on a hostile file: the host is killed. */
  requestTimeoutMs = 30_000

  request(payload: Payload, signal?: AbortSignal): Promise<HostReply & { ok: true }> {
    const child = this.start()
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer)
        this.pending.delete(id)
        this.updateRef()
        reject(new Error('aborted'))
      }
      const timer = setTimeout(() => {
        if (!this.pending.has(id)) return
        child.kill('SIGKILL') // the exit handler rejects every pending request
      }, this.requestTimeoutMs)
      timer.unref()
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      this.pending.set(id, {
        resolve: (r) => (done(), resolve(r)),
        reject: (e) => (done(), reject(e))
      })
      this.updateRef()
      child.send({ id, ...payload } as HostRequest)
    })
  }

  /** Generation of the live host (starting one if none runs). */
  currentGeneration(): number {
    this.start()
    return this.generation
  }

  stop(): void {
    this.child?.kill()
    this.child = null
  }
}

let sharedHost: OpenSlideHost | null = null
export function openSlideHost(): OpenSlideHost {
  sharedHost ??= new OpenSlideHost()
  return sharedHost
}

let probed: Promise<{ available: boolean; version: string | null; reason: string }> | null = null
/** Whether libopenslide loads (checked in the host process, once). */
export function probeOpenSlide(): Promise<{ available: boolean; version: string | null; reason: string }> {
  probed ??= openSlideHost()
    .request({ op: 'probe' })
    .then((r) => r.probe ?? { available: false, version: null, reason: 'no probe reply' })
    .catch((e: unknown) => ({ available: false, version: null, reason: e instanceof Error ? e.message : String(e) }))
  return probed
}

function metadataOf(info: OpenSlideInfo): SlideMetadata {
  const p = info.properties
  const num = (k: string): number | null => {
    const v = Number(p[k])
    return p[k] !== undefined && Number.isFinite(v) && v > 0 ? v : null
  }
  const l0 = info.levels[0]
  if (!l0) throw new Error('OpenSlide reports no levels')
  return {
    vendor: p['openslide.vendor'] ?? 'unknown',
    reader: 'openslide',
    width: l0.width,
    height: l0.height,
    levels: info.levels.map((l, i) => ({
      ...l,
      tileWidth: num(`openslide.level[${i}].tile-width`),
      tileHeight: num(`openslide.level[${i}].tile-height`)
    })),
    mppX: num('openslide.mpp-x'),
    mppY: num('openslide.mpp-y'),
    objectivePower: num('openslide.objective-power'),
    properties: p,
    associatedImages: Object.keys(info.associated).sort()
  }
}

/** SlideSource backed by OpenSlide in the host process. */
export class OpenSlideSource implements SlideSource {
  private constructor(
    readonly path: string,
    readonly metadata: SlideMetadata,
    private readonly host: OpenSlideHost,
    private handle: number,
    private generation: number
  ) {}

  static async open(path: string, host: OpenSlideHost = openSlideHost()): Promise<OpenSlideSource> {
    const probe = await probeOpenSlide()
    if (!probe.available) {
      throw new SlideError(path, `OpenSlide is not available (${probe.reason}): install OpenSlide (Debian/Ubuntu: apt-get install libopenslide0) or set OPENSLIDE_LIB`, 'needs_openslide')
    }
    try {
      const r = await host.request({ op: 'open', path })
      return new OpenSlideSource(path, metadataOf(r.info!), host, r.handle!, host.currentGeneration())
    } catch (e) {
      throw new SlideError(path, `OpenSlide cannot open it: ${e instanceof Error ? e.message : String(e)}`, 'unsupported')
    }
  }

  /** Re-open in a fresh host after a crash (the old handle died with the old process). */
  private async ensureHandle(): Promise<void> {
    if (this.generation === this.host.currentGeneration() && this.handle > 0) return
    const r = await this.host.request({ op: 'open', path: this.path })
    this.handle = r.handle!
    this.generation = this.host.generation
  }

  private fail(e: unknown): never {
    const msg = e instanceof Error ? e.message : String(e)
    throw new SlideError(this.path, msg.startsWith('OpenSlide') ? msg : `OpenSlide: ${msg}`, msg === 'aborted' ? 'aborted' : 'corrupt')
  }

  async readRegion(x: number, y: number, level: number, width: number, height: number, signal?: AbortSignal): Promise<RgbaImage> {
    checkRegionArgs(this.path, x, y, level, width, height, this.metadata.levels.length)
    try {
      await this.ensureHandle()
      const r = await this.host.request({ op: 'read', handle: this.handle, x, y, level, width, height }, signal)
      return { width, height, data: r.data! }
    } catch (e) {
      return this.fail(e)
    }
  }

  async readAssociatedImage(name: string): Promise<RgbaImage> {
    if (!this.metadata.associatedImages.includes(name)) throw new SlideError(this.path, `no associated image "${name}"`, 'not_found')
    try {
      await this.ensureHandle()
      const r = await this.host.request({ op: 'associated', handle: this.handle, name })
      return { width: r.width!, height: r.height!, data: r.data! }
    } catch (e) {
      return this.fail(e)
    }
  }

  async close(): Promise<void> {
    if (this.handle > 0 && this.generation === this.host.generation) await this.host.request({ op: 'close', handle: this.handle }).catch(() => undefined)
    this.handle = -1
  }
}
