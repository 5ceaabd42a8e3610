// Typed listeners per event name, for the client's events and snapshot subscribers (after TanStack Query's
// `Subscribable`): a listener added twice runs once, and removing one during an emit is safe.

export interface Subscribable<Events> {
  /** Adds a listener; returns its removal. */
  on<E extends keyof Events>(event: E, listener: (value: Events[E]) => void): () => void;
  emit<E extends keyof Events>(event: E, value: Events[E]): void;
}

export function createSubscribable<Events>(): Subscribable<Events> {
  const listeners = new Map<keyof Events, Set<(value: never) => void>>();
  return {
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      const added = set;
      added.add(listener as (value: never) => void);
      return () => {
        added.delete(listener as (value: never) => void);
      };
    },
    emit<E extends keyof Events>(event: E, value: Events[E]): void {
      const set = listeners.get(event);
      if (!set) return;
      for (const listener of set) (listener as (value: Events[E]) => void)(value);
    },
  };
}
