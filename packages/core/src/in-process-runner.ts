// The default runner: deliveries run in this process with a concurrency bound; retries and scheduled sends
// wait on the clock. Honest about what it is: work still waiting when the process dies is lost.

import { type Clock, systemClock, type TimerHandle } from './clock';
import { HeraldError } from './errors';
import type { Logger } from './logger';
import { silentLogger } from './logger';
import type { DeliveryExecutor, DeliveryTask, EnqueueOptions, Runner, RunnerHooks } from './spec/runner';
import { yieldToEventLoop } from './store-kit/chunks';

export interface InProcessRunnerSettings {
  /** Most deliveries in flight at once (default 64); a channel batch counts as its size. */
  concurrency?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Units started before the runner lets the event loop take a turn. */
const UNITS_PER_TURN = 256;

export function createInProcessRunner(settings: InProcessRunnerSettings = {}): Runner {
  const concurrency = Math.max(1, Math.floor(settings.concurrency ?? 64));
  const clock = settings.clock ?? systemClock;
  const logger = settings.logger ?? silentLogger;
  let executor: DeliveryExecutor | undefined;
  let hooks: RunnerHooks | undefined;
  const queue: DeliveryTask[][] = [];
  let queueHead = 0;
  let active = 0;
  let closed = false;
  /** Tasks waiting on a timer, by timer, each group by delivery id. */
  const waiting = new Map<TimerHandle, Map<string, DeliveryTask>>();
  /** The timer each waiting task is on: a withdrawal (an escalation withdrawn by a read) finds its task at once. */
  const timerOf = new Map<string, TimerHandle>();
  /** When each waiting group is due (epoch ms). */
  const dueAt = new Map<TimerHandle, number>();
  /** Delivery ids queued, waiting or running: handing one over again (a resumed dispatch) changes nothing. */
  const known = new Set<string>();
  let drained: (() => void) | undefined;

  function chunk(tasks: DeliveryTask[]): DeliveryTask[][] {
    const byKind = new Map<DeliveryTask['kind'], DeliveryTask[]>();
    for (const task of tasks) {
      const group = byKind.get(task.kind);
      if (group) group.push(task);
      else byKind.set(task.kind, [task]);
    }
    const units: DeliveryTask[][] = [];
    for (const [kind, group] of byKind) {
      const size = Math.max(1, executor?.batchSize(kind) ?? 1);
      if (size === 1) for (const task of group) units.push([task]);
      else for (let start = 0; start < group.length; start += size) units.push(group.slice(start, start + size));
    }
    return units;
  }

  function push(tasks: DeliveryTask[]): void {
    for (const unit of chunk(tasks)) queue.push(unit);
    pump();
  }

  function later(tasks: DeliveryTask[], delayMs: number): void {
    const handle = clock.setTimeout(() => {
      const group = waiting.get(handle);
      waiting.delete(handle);
      dueAt.delete(handle);
      if (!group) return;
      for (const deliveryId of group.keys()) timerOf.delete(deliveryId);
      if (!closed) push([...group.values()]);
    }, delayMs);
    const group = new Map<string, DeliveryTask>();
    for (const task of tasks) {
      group.set(task.deliveryId, task);
      timerOf.set(task.deliveryId, handle);
    }
    waiting.set(handle, group);
    dueAt.set(handle, clock.now() + Math.max(0, delayMs));
  }

  /** Takes the tasks `wanted` names out of the timers they wait on; the timers of emptied groups are cleared. */
  function takeWaiting(wanted: ReadonlySet<string>, when: (handle: TimerHandle) => boolean): DeliveryTask[] {
    const taken: DeliveryTask[] = [];
    for (const deliveryId of wanted) {
      const handle = timerOf.get(deliveryId);
      if (handle === undefined || !when(handle)) continue;
      const group = waiting.get(handle);
      const task = group?.get(deliveryId);
      if (!group || !task) continue;
      group.delete(deliveryId);
      timerOf.delete(deliveryId);
      taken.push(task);
      if (group.size === 0) {
        clock.clearTimeout(handle);
        waiting.delete(handle);
        dueAt.delete(handle);
      }
    }
    return taken;
  }

  /**
   * Units started since the event loop last had a turn: with a store and channels that resolve at once (MemoryStore,
   * test channels) a long queue would otherwise chain microtasks and starve the host's timers and I/O.
   */
  let startedSinceTurn = 0;
  let turnScheduled = false;

  function pump(): void {
    while (active < concurrency && queueHead < queue.length) {
      if (startedSinceTurn >= UNITS_PER_TURN) {
        if (!turnScheduled) {
          turnScheduled = true;
          void yieldToEventLoop().then(() => {
            turnScheduled = false;
            startedSinceTurn = 0;
            pump();
          });
        }
        return;
      }
      startedSinceTurn += 1;
      const unit = queue[queueHead] as DeliveryTask[];
      queue[queueHead] = [];
      queueHead += 1;
      active += unit.length;
      void run(unit);
    }
    if (queueHead > 1024 && queueHead * 2 > queue.length) {
      queue.splice(0, queueHead);
      queueHead = 0;
    }
    if (active === 0 && queueHead >= queue.length) drained?.();
  }

  async function run(unit: DeliveryTask[]): Promise<void> {
    try {
      if (unit.length === 0 || !executor || !hooks) return;
      const outcomes = await executor.execute(unit);
      unit.forEach((task, index) => {
        const outcome = outcomes[index];
        if (!outcome) return;
        if (outcome.final) {
          known.delete(task.deliveryId);
          hooks?.onSettled(task, outcome);
        } else if (closed) {
          known.delete(task.deliveryId);
          logger.warn('herald: retry dropped because the runner is closing', { deliveryId: task.deliveryId });
          hooks?.onSettled(task, {
            final: true,
            status: 'cancelled',
            error: { code: 'SHUTDOWN', message: 'Runner closed before the retry' },
          });
        } else if ('deferUntil' in outcome) {
          // Not due yet: the same attempt, later.
          later([task], outcome.deferUntil - clock.now());
        } else later([{ ...task, attempt: task.attempt + 1 }], outcome.retryInMs);
      });
    } catch (error) {
      // The executor never throws by contract; if it does, the tasks are not lost silently.
      logger.error('herald: delivery executor threw', { error });
      for (const task of unit) known.delete(task.deliveryId);
    } finally {
      active -= unit.length;
      pump();
    }
  }

  return {
    specificationVersion: 'v1',
    id: 'in-process',
    start(givenExecutor, givenHooks) {
      executor = givenExecutor;
      hooks = givenHooks;
    },
    async enqueue(tasks: DeliveryTask[], options: EnqueueOptions = {}) {
      if (closed) throw new HeraldError('CLOSED', 'The in-process runner is closed: it accepts no new deliveries.');
      if (!executor) throw new HeraldError('NOT_STARTED', 'The runner was not started: pass it to createHerald first.');
      const fresh: DeliveryTask[] = [];
      for (const task of tasks) {
        if (known.has(task.deliveryId)) continue;
        known.add(task.deliveryId);
        fresh.push(task);
      }
      if (fresh.length === 0) return;
      const delayMs = options.runAt === undefined ? 0 : options.runAt - clock.now();
      if (delayMs > 0) later(fresh, delayMs);
      else push(fresh);
    },
    async cancel(deliveryIds: string[]) {
      const wanted = new Set(deliveryIds);
      const cancelled: string[] = [];
      const keep = (task: DeliveryTask): boolean => {
        if (!wanted.has(task.deliveryId)) return true;
        cancelled.push(task.deliveryId);
        known.delete(task.deliveryId);
        return false;
      };
      for (const task of takeWaiting(wanted, () => true)) keep(task);
      // The ready queue is looked through only for ids still held (queued or running), not for every withdrawal.
      let isHeld = false;
      for (const deliveryId of wanted) {
        if (known.has(deliveryId)) {
          isHeld = true;
          break;
        }
      }
      if (!isHeld) return cancelled;
      for (let index = queueHead; index < queue.length; index++) {
        queue[index] = (queue[index] as DeliveryTask[]).filter(keep);
      }
      return cancelled;
    },
    async reschedule(deliveryIds: string[], runAt: number) {
      // Only groups due later than `runAt` move; a task due sooner keeps its time.
      const moved = takeWaiting(new Set(deliveryIds), (handle) => (dueAt.get(handle) ?? 0) > runAt);
      if (moved.length > 0) later(moved, runAt - clock.now());
      return moved.map((task) => task.deliveryId);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const [handle, group] of waiting) {
        clock.clearTimeout(handle);
        const tasks = [...group.values()];
        for (const task of tasks) {
          hooks?.onSettled(task, {
            final: true,
            status: 'cancelled',
            error: { code: 'SHUTDOWN', message: 'Herald closed before this delivery was due' },
          });
        }
        if (tasks.length > 0) {
          logger.warn('herald: scheduled deliveries dropped at close (use a durable runner to keep them)', {
            count: tasks.length,
          });
        }
      }
      waiting.clear();
      timerOf.clear();
      dueAt.clear();
      known.clear();
      if (active > 0 || queueHead < queue.length) {
        await new Promise<void>((resolve) => {
          drained = resolve;
        });
      }
    },
  };
}
