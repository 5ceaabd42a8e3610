// Watches AbortSignals with one listener per signal, however many sends wait on it. Runners may hand the
// same signal to every send that starts within a window; a listener per send would pile up on it (and
// trip Node's MaxListenersExceededWarning) at a few dozen sends in flight.

export type AbortWatch = (signal: AbortSignal, onAbort: () => void) => () => void;

/** Returns `watch(signal, onAbort)`, which calls `onAbort` when the signal aborts and returns an unsubscribe. */
export function createAbortWatch(): AbortWatch {
  const waiting = new WeakMap<AbortSignal, Set<() => void>>();
  return (signal, onAbort) => {
    let callbacks = waiting.get(signal);
    if (!callbacks) {
      const registered = new Set<() => void>();
      callbacks = registered;
      waiting.set(signal, registered);
      signal.addEventListener(
        'abort',
        () => {
          waiting.delete(signal);
          for (const callback of registered) callback();
          registered.clear();
        },
        { once: true },
      );
    }
    const set = callbacks;
    set.add(onAbort);
    return () => {
      set.delete(onAbort);
    };
  };
}
