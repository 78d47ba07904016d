// Handlers of model.* methods (the registry lives in src-main/models/registry.ts).
import type { Handlers } from '../dispatch'
import type { Services } from '../../core/services'

type ModelMethods = 'model.list' | 'model.get' | 'model.import' | 'model.export' | 'model.delete'

export function modelHandlers(s: Services): Pick<Handlers, ModelMethods> {
  return {
    'model.list': () => s.models.list(),
    'model.get': ({ model }) => s.models.resolve(model),
    'model.import': (req) => s.models.import(req),
    'model.export': ({ model, format, out, force }) => s.models.export(model, format, out, force ?? false),
    'model.delete': ({ model }) => ({ deleted: s.models.delete(model) })
  }
}
