// Binary resources of slides under the `slides` prefix (OpenSeadragon DZI URL convention):
//   /res/slides/<id>.dzi   /res/slides/<id>_files/<z>/<col>_<row>.jpeg   /res/slides/<id>/thumbnail.jpeg[?size=N]
import type { Resource, ResourceRouter } from '../../core/resources'
import type { SlidesService } from './slides-service'
import { ApiError } from '../../api/errors'

/** Tiles are immutable for a content key; the URL carries the slide id, so a re-added file gets a short cache life. */
const TILE_MAX_AGE = 3600

function parseId(text: string): number | null {
  return /^\d{1,12}$/.test(text) ? Number(text) : null
}

export function registerSlideResources(router: ResourceRouter, slides: SlidesService): void {
  router.register('slides', async (rest, query, signal): Promise<Resource | null> => {
    try {
      const [a, b, c, d] = rest
      if (rest.length === 1 && a?.endsWith('.dzi')) {
        const id = parseId(a.slice(0, -4))
        if (id === null) return null
        const xml = await slides.withSlide(id, async (s) => slides.tiles.dzi(s))
        return { contentType: 'application/xml', body: Buffer.from(xml), maxAge: TILE_MAX_AGE }
      }
      if (rest.length === 3 && a?.endsWith('_files') && b && c) {
        const id = parseId(a.slice(0, -6))
        const z = parseId(b)
        const m = /^(\d{1,9})_(\d{1,9})\.jpe?g$/.exec(c)
        if (id === null || z === null || !m) return null
        const tile = await slides.withSlide(id, (s, slide) => slides.tiles.tile(s, slide.checksum as string, z, Number(m[1]), Number(m[2]), signal))
        return tile ? { contentType: 'image/jpeg', body: tile.bytes, maxAge: TILE_MAX_AGE } : null
      }
      if (rest.length === 2 && a && b === 'thumbnail.jpeg' && d === undefined) {
        const id = parseId(a)
        if (id === null) return null
        const size = Math.min(4096, Math.max(16, Number(query.get('size') ?? 1024) || 1024))
        const body = await slides.withSlide(id, (s, slide) => slides.tiles.thumbnail(s, slide.checksum as string, size, signal))
        return { contentType: 'image/jpeg', body, maxAge: TILE_MAX_AGE }
      }
      return null
    } catch (e) {
      // unknown slide ids are "not found" for a resource; other failures propagate to the door as errors
      if (e instanceof ApiError && e.code === 'not_found') return null
      throw e
    }
  })
}
