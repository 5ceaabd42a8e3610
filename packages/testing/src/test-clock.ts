// A clock that moves only when the test says so. Herald takes every timer from its clock,
// so retries, timeouts and scheduled sends happen in `advance()`, not in real time.

import type { Clock } from '@herald/core';
import type { TimerHandle } from '@herald/core/spec';

export interface TestClock extends Clock {
  /** Moves time forward, running every timer that falls due (and what they schedule) in order. */
  advance(ms: number): Promise<void>;
  /** Runs timers until none is left (at most `limit` of them). */
  runAll(limit?: number): Promise<void>;
  /** Lets pending promise chains run without moving time. */
  flush(): Promise<void>;
  /** Timers waiting to fire. */
  pendingTimers(): number;
  /** When the next timer fires, if any (epoch ms). */
  nextTimerAt(): number | undefined;
}

interface Timer {
  id: number;
  at: number;
  callback: () => void;
}

export function createTestClock(start: number | Date = Date.UTC(2026, 0, 1)): TestClock {
  let now = typeof start === 'number' ? start : start.getTime();
  let sequence = 0;
  const timers = new Map<number, Timer>();

  const next = (): Timer | undefined => {
    let earliest: Timer | undefined;
    for (const timer of timers.values()) {
      if (!earliest || timer.at < earliest.at || (timer.at === earliest.at && timer.id < earliest.id)) earliest = timer;
    }
    return earliest;
  };

  const flush = async (): Promise<void> => {
    // Several macrotask turns: store calls and channel sends resolve over more than one microtask queue.
    for (let turn = 0; turn < 10; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
  };

  const clock: TestClock = {
    now: () => now,
    setTimeout(callback, ms) {
      sequence += 1;
      const timer = { id: sequence, at: now + Math.max(0, ms), callback };
      timers.set(timer.id, timer);
      return { id: timer.id } as unknown as TimerHandle;
    },
    clearTimeout(handle) {
      timers.delete((handle as unknown as { id: number }).id);
    },
    async advance(ms) {
      await flush();
      const target = now + ms;
      for (;;) {
        const timer = next();
        if (!timer || timer.at > target) break;
        timers.delete(timer.id);
        now = Math.max(now, timer.at);
        timer.callback();
        await flush();
      }
      now = target;
      await flush();
    },
    async runAll(limit = 10_000) {
      await flush();
      for (let count = 0; count < limit; count++) {
        const timer = next();
        if (!timer) return;
        timers.delete(timer.id);
        now = Math.max(now, timer.at);
        timer.callback();
        await flush();
      }
      throw new Error(
        `createTestClock: still ${timers.size} timers after running ${limit}; is something rescheduling forever?`,
      );
    },
    flush,
    pendingTimers: () => timers.size,
    nextTimerAt: () => next()?.at,
  };
  return clock;
}
