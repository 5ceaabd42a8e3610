// Attempt timeouts without a timer and an AbortController per send: attempts that start within the same
// short window share one deadline (their start window's end + the timeout). Creating an AbortSignal costs
// more than a no-op send, so at thousands of sends a second this is most of the dispatcher's overhead.
// The price: an attempt may run up to one window (1% of the timeout, at most 1 s) longer than the timeout.
// Channels see the shared signal as `SendRequest.signal`: many sends listen to it at once, and none may
// abort it (it is not theirs to abort) — they only listen.

import { setMaxListeners } from 'node:events';
import type { Clock } from './clock';
import { DeliveryError } from './errors';

interface Window {
  controller: AbortController;
  /** Rejecters of the attempts still running in this window; each leaves as its attempt settles. */
  running: Set<(error: DeliveryError) => void>;
}

export interface AttemptDeadlines {
  /** Runs the call under the current window's deadline; rejects with TIMEOUT when it passes. */
  run<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

export function createAttemptDeadlines(clock: Clock, timeoutMs: number): AttemptDeadlines {
  const windowMs = Math.max(1, Math.min(1_000, Math.floor(timeoutMs / 100)));
  const windows = new Map<number, Window>();

  function current(): Window {
    const key = Math.floor(clock.now() / windowMs);
    const existing = windows.get(key);
    if (existing) return existing;
    const controller = new AbortController();
    // Every send of the window may add an abort listener (fetch, http2 streams): that is by design, not a leak.
    setMaxListeners(0, controller.signal);
    const window: Window = { controller, running: new Set() };
    windows.set(key, window);
    const deadline = (key + 1) * windowMs + timeoutMs;
    clock.setTimeout(() => {
      windows.delete(key);
      const error = new DeliveryError('TIMEOUT', `The channel did not answer within ${timeoutMs} ms`);
      controller.abort(error);
      for (const fail of window.running) fail(error);
      window.running.clear();
    }, deadline - clock.now());
    return window;
  }

  return {
    run<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
      const window = current();
      // Not Promise.race against a window-long promise: that would keep every finished attempt reachable
      // until the window expires. Here an attempt holds nothing once it settles.
      return new Promise<T>((resolve, reject) => {
        window.running.add(reject);
        call(window.controller.signal).then(
          (value) => {
            window.running.delete(reject);
            resolve(value);
          },
          (error: unknown) => {
            window.running.delete(reject);
            reject(error);
          },
        );
      });
    },
  };
}
