// Projects: list, create, open (current project), rename, delete — all through the bridge.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { call } from '../bridge/index'
import type { Project } from '../../src-shared/domain/types'

const CURRENT_KEY = 'tessera.currentProject'

export const useProjectsStore = defineStore('projects', () => {
  const list = ref<Project[]>([])
  const currentId = ref<number | null>(Number(localStorage.getItem(CURRENT_KEY)) || null)
  const error = ref<string | null>(null)
  const loading = ref(false)

  const current = computed(() => list.value.find((p) => p.id === currentId.value) ?? null)

  async function load(): Promise<void> {
    loading.value = true
    try {
      list.value = await call('project.list', {})
      error.value = null
    } catch (e) {
      error.value = (e as Error).message
    } finally {
      loading.value = false
    }
  }

  async function create(name: string): Promise<Project> {
    const project = await call('project.create', { name })
    await load()
    open(project.id)
    return project
  }

  function open(id: number): void {
    currentId.value = id
    localStorage.setItem(CURRENT_KEY, String(id))
  }

  async function rename(id: number, name: string): Promise<void> {
    await call('project.rename', { id, name })
    await load()
  }

  async function remove(id: number): Promise<void> {
    await call('project.delete', { id, confirm: true })
    if (currentId.value === id) {
      currentId.value = null
      localStorage.removeItem(CURRENT_KEY)
    }
    await load()
  }

  return { list, current, currentId, error, loading, load, create, open, rename, remove }
})
