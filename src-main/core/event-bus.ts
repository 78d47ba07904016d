// In-process publish/subscribe for core events; each door forwards them (IPC, SSE, stderr).
import type { CoreEvent } from '../../src-shared/contracts/events'

export type Listener = (event: CoreEvent) => void

export class EventBus {
  private readonly listeners = new Set<Listener>()

  /** Subscribe; returns the function that unsubscribes. */
  on(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit(event: CoreEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event)
      } catch {
        // a failing listener (closed socket, …) must not break the emitter or other listeners
      }
    }
  }
}
