// Slides of the open project: list, add (files or folders, per-file errors kept), mpp override, label, remove.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '../bridge/index'
import type { Slide } from '../../src-shared/domain/types'
import type { AddSlidesResult } from '../../src-shared/contracts/slides'

export const useSlidesStore = defineStore('slides', () => {
  const list = ref<Slide[]>([])
  const projectId = ref<number | null>(null)
  const lastAdd = ref<AddSlidesResult | null>(null)
  const error = ref<string | null>(null)
  const busy = ref(false)

  /** Load the slides of a project (null clears). */
  async function load(id: number | null): Promise<void> {
    projectId.value = id
    if (id === null) {
      list.value = []
      return
    }
    try {
      list.value = await call('slide.list', { projectId: id })
      error.value = null
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  /** Add files or folders (scanned recursively by content); unreadable files come back as error rows. */
  async function add(paths: string[]): Promise<void> {
    if (projectId.value === null) throw new Error('open a project before adding slides')
    busy.value = true
    try {
      lastAdd.value = await call('slide.add', { projectId: projectId.value, paths })
      error.value = null
      await load(projectId.value)
    } catch (e) {
      error.value = (e as Error).message
    } finally {
      busy.value = false
    }
  }

  function replace(slide: Slide): void {
    list.value = list.value.map((s) => (s.id === slide.id ? slide : s))
  }

  async function setMppOverride(id: number, mpp: number | null): Promise<void> {
    replace(await call('slide.setMppOverride', { id, mpp }))
  }

  async function setLabel(id: number, label: string | null, patientId: string | null): Promise<void> {
    replace(await call('slide.setLabel', { id, label, patientId }))
  }

  async function remove(id: number): Promise<void> {
    await call('slide.remove', { id })
    list.value = list.value.filter((s) => s.id !== id)
  }

  return { list, projectId, lastAdd, error, busy, load, add, setMppOverride, setLabel, remove }
})
