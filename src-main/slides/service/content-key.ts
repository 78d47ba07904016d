// The slide content key that keys every cache (tiles, masks, grids, features): cheap and honest about what it covers.
// "ht1:" = SHA-256 over: file size, the first and last HEAD_TAIL_BYTES of the file, and the parsed metadata
// (levels, dimensions, mpp, properties — i.e. what the IFDs / headers say). It does NOT read the middle of the file:
// an edit that changes only tile bytes in the middle and keeps the size is not detected (a full hash of a multi-GB
// slide would cost seconds to minutes per slide). Folders (DICOM series) hash each file's name, size, head and tail.
import { createHash } from 'node:crypto'
import { open, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { SlideMetadata } from '../slide-source'

export const HEAD_TAIL_BYTES = 1024 * 1024

async function hashHeadTail(h: ReturnType<typeof createHash>, file: string, size: number): Promise<void> {
  const fh = await open(file, 'r')
  try {
    const n = Math.min(size, HEAD_TAIL_BYTES)
    const head = Buffer.alloc(n)
    await fh.read(head, 0, n, 0)
    h.update(head)
    if (size > HEAD_TAIL_BYTES) {
      const m = Math.min(size - HEAD_TAIL_BYTES, HEAD_TAIL_BYTES)
      const tail = Buffer.alloc(m)
      await fh.read(tail, 0, m, size - m)
      h.update(tail)
    }
  } finally {
    await fh.close()
  }
}

/** Metadata fields that identify content (no reader name: switching readers must not invalidate caches). */
function metadataFingerprint(m: SlideMetadata): string {
  return JSON.stringify({
    width: m.width,
    height: m.height,
    levels: m.levels.map((l) => [l.width, l.height, l.downsample]),
    mpp: [m.mppX, m.mppY],
    properties: Object.keys(m.properties)
      .sort()
      .map((k) => [k, m.properties[k]])
  })
}

export async function contentKey(path: string, metadata: SlideMetadata): Promise<string> {
  const h = createHash('sha256')
  h.update('tessera-content-key-ht1\n')
  const st = await stat(path)
  if (st.isDirectory()) {
    const names = (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort()
    for (const name of names) {
      const fst = await stat(join(path, name))
      h.update(`${name}\0${fst.size}\n`)
      await hashHeadTail(h, join(path, name), fst.size)
    }
  } else {
    h.update(`${st.size}\n`)
    await hashHeadTail(h, path, st.size)
  }
  h.update(metadataFingerprint(metadata))
  return `ht1:${h.digest('hex')}`
}
