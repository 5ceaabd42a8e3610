// The Runner spec, v1: where deliveries execute. The in-process runner is the default; @herald/bullmq is durable.

import type { DeliveryError } from '../errors';
import type { Recipient } from '../recipient';
import type { ChannelKind } from './channel';
import type { DeliveryFailure, DeliveryStatus } from './store';

export const SUPPORTED_RUNNER_SPECIFICATIONS = ['v1'] as const;

/** One delivery to execute. Plain data, so durable runners can store it as a job. */
export interface DeliveryTask {
  deliveryId: string;
  notificationId: string;
  type: string;
  kind: ChannelKind;
  recipient: Recipient;
  /** For inApp deliveries: the inbox item, if already stored. Scheduled inApp deliveries store it when due. */
  inboxItemId?: string;
  /** 1 for the first attempt; runners increase it on each retry. */
  attempt: number;
}

export type FinalStatus = Extract<DeliveryStatus, 'sent' | 'queued' | 'skipped' | 'failed' | 'cancelled'>;

export type TaskOutcome =
  | { final: true; status: FinalStatus; error?: DeliveryFailure; reason?: string }
  | { final: false; retryInMs: number; error: DeliveryError };

/** What Herald gives a runner: it runs one attempt of a batch of tasks and says what happens next. */
export interface DeliveryExecutor {
  /**
   * Runs one attempt of each task (tasks share a kind). Never throws; outcomes come back in task order.
   * A non-final outcome asks the runner to run the task again, with `attempt + 1`, after `retryInMs`.
   */
  execute(tasks: DeliveryTask[]): Promise<TaskOutcome[]>;
  /** How many tasks of a kind to hand `execute` at once (the channel's batch size, else 1). */
  batchSize(kind: ChannelKind): number;
  /** A provider rate limit for the kind, if its channel declares one. */
  ratePerSecond(kind: ChannelKind): number | undefined;
  /** The kinds this Herald delivers (its channels' kinds, and `inApp`): a worker can start on them at once. */
  kinds(): ChannelKind[];
}

export interface RunnerHooks {
  /** Call once per task when it reaches a final outcome, in whichever process executed it. */
  onSettled(task: DeliveryTask, outcome: Extract<TaskOutcome, { final: true }>): void;
}

export interface EnqueueOptions {
  /** Epoch ms before which the tasks must not run. */
  runAt?: number;
}

export interface RunnerCapabilities {
  /** Tasks run in this process (false for a producer that only enqueues). Default true. */
  executesHere?: boolean;
  /**
   * `onSettled` is called in this process for the tasks it enqueues (false for a producer that neither works
   * nor listens to outcomes: Herald then reads a notification's counts from the store when asked). Default true.
   */
  settlesHere?: boolean;
}

export interface Runner {
  readonly specificationVersion: 'v1';
  readonly id: string;
  readonly capabilities?: RunnerCapabilities;
  /** Called once by `createHerald`. */
  start(executor: DeliveryExecutor, hooks: RunnerHooks): void | Promise<void>;
  /**
   * Accepts tasks; resolves once they are safely handed over (queued), not when they have run. Handing over a
   * task whose delivery id is already queued or running is a no-op: a resumed dispatch may hand a task over again.
   */
  enqueue(tasks: DeliveryTask[], options?: EnqueueOptions): Promise<void>;
  /** Withdraws tasks that have not started; returns the ids withdrawn. */
  cancel(deliveryIds: string[]): Promise<string[]>;
  /** Waits for in-flight work, then refuses new work. */
  close(): Promise<void>;
}
