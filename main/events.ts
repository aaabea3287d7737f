/** A typed in-process event bus; transports subscribe and forward to windows / WebSocket clients. */
import { EventEmitter } from 'node:events';
import type { ApiEvents, EventName } from './api/events';

export class EventBus {
  private em = new EventEmitter();
  constructor() {
    this.em.setMaxListeners(100);
  }
  emit<E extends EventName>(name: E, payload: ApiEvents[E]): void {
    this.em.emit(name, payload);
    this.em.emit('*', name, payload);
  }
  on<E extends EventName>(name: E, fn: (p: ApiEvents[E]) => void): () => void {
    this.em.on(name, fn);
    return () => this.em.off(name, fn);
  }
  onAny(fn: (name: EventName, payload: unknown) => void): () => void {
    this.em.on('*', fn);
    return () => this.em.off('*', fn);
  }
}
