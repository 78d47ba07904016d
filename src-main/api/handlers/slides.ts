// Handlers of slide.* methods.
import type { Handlers } from '../dispatch'
import type { Services } from '../../core/services'
import { ApiError } from '../errors'

type SlideMethods =
  | 'slide.add'
  | 'slide.list'
  | 'slide.get'
  | 'slide.remove'
  | 'slide.setMppOverride'
  | 'slide.setLabel'
  | 'slide.info'
  | 'slide.grid'
  | 'slide.tissueGeoJSON'
  | 'slide.gridGeoJSON'
  | 'slide.tissue'
  | 'slide.importTissue'

export function slideHandlers(s: Services): Pick<Handlers, SlideMethods> {
  return {
    'slide.add': ({ projectId, paths }) => s.slides.add(projectId, paths),
    'slide.list': ({ projectId }) => {
      s.projects.get(projectId)
      return s.slides.repo.list(projectId)
    },
    'slide.get': ({ id }) => s.slides.repo.get(id),
    'slide.remove': async ({ id }) => ({ removed: await s.slides.remove(id) }),
    'slide.setMppOverride': ({ id, mpp }) => s.slides.repo.setMppOverride(id, mpp),
    'slide.setLabel': ({ id, label, patientId }) => s.slides.repo.setLabel(id, label, patientId),
    'slide.info': ({ path }) => s.slides.info(path),
    'slide.grid': ({ id, ...params }) => s.slides.grid(id, params),
    'slide.tissueGeoJSON': ({ id }) => s.slides.tissueGeoJSON(id),
    'slide.gridGeoJSON': ({ id, ...params }) => s.slides.gridGeoJSON(id, params),
    'slide.tissue': ({ id, tissue }) => s.slides.tissue(id, tissue),
    'slide.importTissue': ({ id, file, geojsonText, fileName }) => {
      if ((file === undefined) === (geojsonText === undefined)) throw new ApiError('bad_request', 'give exactly one of file or geojsonText')
      return s.slides.importTissue(id, file !== undefined ? { file } : { text: geojsonText as string, name: fileName ?? 'tissue.geojson' })
    }
  }
}
