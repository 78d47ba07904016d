// Contract of the project service: create, list, rename, delete projects.
import { z } from 'zod'
import { method } from './define'
import type { Project } from '../domain/types'
import { tissueChoiceSchema } from './slides'

const projectName = z.string().trim().min(1, 'name must not be empty').max(200, 'name is longer than 200 characters')

export const projectContract = {
  'project.create': method<Project>()(z.strictObject({ name: projectName }), 'Create a project'),
  'project.list': method<Project[]>()(z.strictObject({}), 'List projects'),
  'project.get': method<Project>()(z.strictObject({ id: z.number().int().positive() }), 'Get one project'),
  'project.rename': method<Project>()(
    z.strictObject({ id: z.number().int().positive(), name: projectName }),
    'Rename a project'
  ),
  'project.setTissue': method<Project>()(
    z.strictObject({ id: z.number().int().positive(), tissue: tissueChoiceSchema.nullable() }),
    'Set the tissue method (and optional fixed thresholds) grids of this project are built with; null = the default (combined)'
  ),
  'project.delete': method<{ deleted: boolean }>()(
    z.strictObject({ id: z.number().int().positive(), confirm: z.literal(true) }),
    'Delete a project and everything in it (confirm must be true)'
  )
} as const
