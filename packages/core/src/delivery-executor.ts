// Step 6 of the flow: one attempt of a batch of deliveries — render, send through the kind's channels in
// order (fallbacks), record the outcome, and tell the runner whether and when to try again.

import { createAttemptDeadlines } from './attempt-deadline';
import { createOutcomeRecorder, type FinalOutcome, type PreparedDelivery } from './delivery-outcomes';
import { createDeliveryPreparer } from './delivery-preparation';
import { DeliveryError, describeError, toDeliveryError } from './errors';
import type { ExecutorContext } from './executor-context';
import { storedInboxChannel } from './inbox-channel';
import type { AnyChannel, ChannelKind, SendRequest, SendResult } from './spec/channel';
import type { DeliveryExecutor, TaskOutcome } from './spec/runner';
import type { DeliveryStatus } from './spec/store';

export type { ExecutorContext } from './executor-context';

/** Channels without sendBatch still get small groups: one store read per group, sends run side by side. */
const UNBATCHED_GROUP_SIZE = 16;

const finalStatuses: Record<DeliveryStatus, FinalOutcome['status'] | undefined> = {
  pending: undefined,
  sent: 'sent',
  delivered: 'sent',
  read: 'sent',
  queued: 'queued',
  skipped: 'skipped',
  failed: 'failed',
  cancelled: 'cancelled',
};

export function createDeliveryExecutor(context: ExecutorContext): DeliveryExecutor {
  const { store, channelsByKind, retry, clock, logger } = context;
  const recorder = createOutcomeRecorder(context);
  const { recordSuccess, recordFailure } = recorder;
  const prepare = createDeliveryPreparer(context, recorder);

  const deadlines = createAttemptDeadlines(clock, retry.attemptTimeoutMs);
  const withTimeout = deadlines.run;

  /** Tries each channel of the kind in order; the first success wins. */
  async function sendThroughChain(
    prepared: PreparedDelivery,
    channels: AnyChannel[],
    startAt: number,
    firstError?: DeliveryError,
    firstChannel?: string,
  ): Promise<TaskOutcome> {
    let lastError = firstError;
    let lastChannelId = firstChannel;
    let retryableError: DeliveryError | undefined = firstError?.retryable ? firstError : undefined;
    let skipped: { channel: AnyChannel; result: SendResult } | undefined;
    for (let index = startAt; index < channels.length; index++) {
      const channel = channels[index] as AnyChannel;
      try {
        const result = await withTimeout((signal) =>
          // The request is this attempt's own object: it takes the attempt's signal in place.
          (channel.send as (request: SendRequest<unknown>) => Promise<SendResult>)(
            Object.assign(prepared.request, { signal }),
          ),
        );
        if (result.status === 'skipped') {
          skipped ??= { channel, result };
          continue;
        }
        return await recordSuccess(prepared, channel, result);
      } catch (thrown) {
        const error = toDeliveryError(thrown);
        if (!DeliveryError.is(thrown)) {
          logger.warn('herald: channel threw a plain error; treated as UNAVAILABLE', {
            channelId: channel.id,
            error: describeError(thrown),
          });
        }
        lastError = error;
        lastChannelId = channel.id;
        if (error.retryable && !retryableError) retryableError = error;
      }
    }
    if (lastError === undefined && skipped) return recordSuccess(prepared, skipped.channel, skipped.result);
    // A transient failure anywhere in the chain makes the whole attempt worth repeating.
    return recordFailure(prepared, lastChannelId, retryableError ?? (lastError as DeliveryError));
  }

  /** The kind's channels; without a realtime one, in-app deliveries go to the stored inbox itself. */
  function channelsOf(kind: ChannelKind): AnyChannel[] {
    return channelsByKind.get(kind) ?? (kind === 'inApp' ? [storedInboxChannel] : []);
  }

  async function runOne(prepared: PreparedDelivery): Promise<TaskOutcome> {
    const channels = channelsOf(prepared.task.kind);
    if (channels.length === 0) {
      const error = new DeliveryError('CONFIGURATION', `No channel of kind "${prepared.task.kind}" is registered`);
      return recordFailure(prepared, undefined, error);
    }
    return sendThroughChain(prepared, channels, 0);
  }

  async function runBatch(items: PreparedDelivery[], channels: AnyChannel[]): Promise<TaskOutcome[]> {
    const [first] = channels as [AnyChannel];
    const sendBatch = first.sendBatch as (requests: SendRequest<unknown>[]) => Promise<(SendResult | Error)[]>;
    let results: (SendResult | Error)[];
    try {
      results = await withTimeout((signal) =>
        sendBatch.call(
          first,
          items.map((item) => Object.assign(item.request, { signal })),
        ),
      );
    } catch (thrown) {
      const error = toDeliveryError(thrown);
      results = items.map(() => error);
    }
    return Promise.all(
      items.map((item, index) => {
        const result =
          results[index] ?? new DeliveryError('UNAVAILABLE', 'The channel returned no result for this request');
        if (result instanceof Error) {
          const error = toDeliveryError(result);
          return sendThroughChain(item, channels, 1, error, first.id);
        }
        return result.status === 'skipped' && channels.length > 1
          ? sendThroughChain(item, channels, 1)
          : recordSuccess(item, first, result);
      }),
    );
  }

  return {
    batchSize(kind) {
      const [first] = channelsByKind.get(kind) ?? [];
      // Channels without sendBatch still get small groups: one store read per group, sends run side by side.
      return first?.sendBatch ? Math.max(1, first.capabilities?.maxBatchSize ?? 1) : UNBATCHED_GROUP_SIZE;
    },
    kinds() {
      return [...new Set<ChannelKind>(['inApp', ...channelsByKind.keys()])];
    },
    ratePerSecond(kind) {
      return channelsByKind.get(kind)?.[0]?.capabilities?.ratePerSecond;
    },
    async execute(tasks) {
      const outcomes: TaskOutcome[] = new Array(tasks.length);
      try {
        const records = await store.getDeliveries(tasks.map((task) => task.deliveryId));
        const byId = new Map(records.map((record) => [record.id, record]));
        const ready: { index: number; prepared: PreparedDelivery }[] = [];
        await Promise.all(
          tasks.map(async (task, index) => {
            const record = byId.get(task.deliveryId);
            if (!record) {
              logger.warn('herald: delivery record missing; nothing sent', { deliveryId: task.deliveryId });
              outcomes[index] = {
                final: true,
                status: 'failed',
                error: { code: 'MISSING_RECORD', message: 'The delivery record is gone' },
              };
              return;
            }
            const already = finalStatuses[record.status];
            if (already) {
              // Sent, cancelled or settled before (a re-run after a crash): never send twice.
              const outcome: FinalOutcome = { final: true, status: already };
              if (record.error) outcome.error = record.error;
              if (record.reason !== undefined) outcome.reason = record.reason;
              outcomes[index] = outcome;
              return;
            }
            const prepared = await prepare(task, record);
            if ('final' in prepared) outcomes[index] = prepared;
            else ready.push({ index, prepared });
          }),
        );
        const kind = tasks[0]?.kind;
        const channels = kind === undefined ? [] : channelsOf(kind);
        if (ready.length > 1 && channels[0]?.sendBatch) {
          const results = await runBatch(
            ready.map((entry) => entry.prepared),
            channels,
          );
          ready.forEach((entry, position) => {
            outcomes[entry.index] = results[position] as TaskOutcome;
          });
        } else {
          await Promise.all(
            ready.map(async (entry) => {
              outcomes[entry.index] = await runOne(entry.prepared);
            }),
          );
        }
      } catch (thrown) {
        // The store failed mid-attempt: treat it as transient so the runner tries again.
        const error = new DeliveryError('UNAVAILABLE', `Store error during delivery: ${describeError(thrown)}`, {
          cause: thrown,
        });
        logger.error('herald: delivery attempt failed on a store error', { error: describeError(thrown) });
        tasks.forEach((task, index) => {
          if (outcomes[index]) return;
          // Tried again however many attempts were made: giving up cannot be recorded either, so it would leave the
          // record `pending` for good (nothing hands a dispatched notification's deliveries over again) while
          // `settled` said failed. The delay grows as for any retry, up to that of the last attempt the policy allows.
          const retryInMs = retry.nextDelay(Math.min(task.attempt, retry.maxAttempts - 1), error) ?? 0;
          outcomes[index] = { final: false, retryInMs, error };
        });
      }
      return outcomes;
    },
  };
}
