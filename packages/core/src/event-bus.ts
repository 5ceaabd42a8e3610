// Herald's typed events. A throwing listener is the host's bug: it is logged and never breaks delivery.

import EventEmitter from 'eventemitter3';
import type { HeraldEventName, HeraldEvents } from './events';
import type { Logger } from './logger';

export type Listener<E extends HeraldEventName> = (event: HeraldEvents[E]) => void;

export interface EventBus {
  emit<E extends HeraldEventName>(event: E, payload: HeraldEvents[E]): void;
  /** Whether anyone listens (saves building payloads nobody reads). */
  has(event: HeraldEventName): boolean;
  on<E extends HeraldEventName>(event: E, listener: Listener<E>): void;
  off<E extends HeraldEventName>(event: E, listener: Listener<E>): void;
  once<E extends HeraldEventName>(event: E, listener: Listener<E>): void;
  clear(): void;
}

export function createEventBus(logger: Logger): EventBus {
  const emitter = new EventEmitter();
  return {
    emit(event, payload) {
      try {
        emitter.emit(event, payload);
      } catch (error) {
        logger.error('herald: an event listener threw', { event, error });
      }
    },
    has: (event) => emitter.listenerCount(event) > 0,
    on: (event, listener) => void emitter.on(event, listener as (payload: unknown) => void),
    off: (event, listener) => void emitter.off(event, listener as (payload: unknown) => void),
    once: (event, listener) => void emitter.once(event, listener as (payload: unknown) => void),
    clear: () => void emitter.removeAllListeners(),
  };
}
