// Handlers of project.* methods.
import type { Handlers } from '../dispatch'
import type { Services } from '../../core/services'

type ProjectMethods = 'project.create' | 'project.list' | 'project.get' | 'project.rename' | 'project.delete' | 'project.setTissue'

export function projectHandlers(s: Services): Pick<Handlers, ProjectMethods> {
  return {
    'project.create': ({ name }) => s.projects.create(name),
    'project.list': () => s.projects.list(),
    'project.get': ({ id }) => s.projects.get(id),
    'project.rename': ({ id, name }) => s.projects.rename(id, name),
    'project.setTissue': ({ id, tissue }) => s.projects.setTissue(id, tissue),
    'project.delete': ({ id }) => {
      s.projects.get(id)
      return { deleted: s.projects.delete(id) }
    }
  }
}
