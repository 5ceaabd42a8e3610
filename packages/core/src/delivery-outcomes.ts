// Recording the outcome of one delivery attempt: the record's new state (moved from `pending` only, so a
// delivery settled elsewhere is never overwritten), the event, dead tokens removed, and what the runner does next.

import { createDeliveryUpdateBatcher } from './delivery-update-batcher';
import { type DeliveryError, describeError } from './errors';
import type { ExecutorContext } from './executor-context';
import type { AnyChannel, SendRequest, SendResult } from './spec/channel';
import type { DeliveryTask, TaskOutcome } from './spec/runner';
import type { DeliveryFailure, DeliveryPatch, DeliveryRecord, SkipReasonCode } from './spec/store';

export type FinalOutcome = Extract<TaskOutcome, { final: true }>;

/** A delivery ready to send: its task, its record as read before the attempt, and the request to send. */
export interface PreparedDelivery {
  task: DeliveryTask;
  record: DeliveryRecord;
  request: SendRequest<unknown>;
}

export interface OutcomeRecorder {
  finish(
    record: DeliveryRecord,
    patch: DeliveryPatch,
    status: FinalOutcome['status'],
  ): Promise<{ outcome: FinalOutcome; record: DeliveryRecord }>;
  /** A channel's answer: sent, queued or skipped. */
  recordSuccess(prepared: PreparedDelivery, channel: AnyChannel, result: SendResult): Promise<FinalOutcome>;
  /** A failure: retried after the policy's delay, or final. */
  recordFailure(prepared: PreparedDelivery, channelId: string | undefined, error: DeliveryError): Promise<TaskOutcome>;
  /** Withholds a delivery before any send, saying why (a condition held, a builder's skip, an empty digest). */
  skip(task: DeliveryTask, record: DeliveryRecord, reasonCode: SkipReasonCode, reason: string): Promise<FinalOutcome>;
  /** Fails a delivery for good before any send (no content, no definition). */
  failBeforeSend(task: DeliveryTask, record: DeliveryRecord, error: DeliveryError): Promise<FinalOutcome>;
}

export function failure(error: DeliveryError): DeliveryFailure {
  return {
    code: error.code,
    message: error.message,
    ...(error.providerCode === undefined ? {} : { providerCode: error.providerCode }),
  };
}

/** States a provider receipt can move a record to before the send's own answer arrives (a failure included). */
const AHEAD_BY_RECEIPT = ['sent', 'delivered', 'read', 'failed'] as const;

export function createOutcomeRecorder(context: ExecutorContext): OutcomeRecorder {
  const { retry, logger } = context;
  // Attempts finishing in the same turn (a batch, many workers' jobs) write their outcomes in one store call.
  const updateDelivery = createDeliveryUpdateBatcher(context.store);

  async function finish(
    record: DeliveryRecord,
    patch: DeliveryPatch,
    status: FinalOutcome['status'],
  ): Promise<{ outcome: FinalOutcome; record: DeliveryRecord }> {
    patch.status = status;
    let updated = await updateDelivery(record.id, patch, ['pending']);
    if (!updated && status === 'sent') {
      // A provider receipt (a webhook that beat the send's own reply) moved the record on already: keep its
      // state (and a failure's error), but record what the send says — channel, attempts, the provider's message id.
      const { status: _ignored, ...sendFacts } = patch;
      updated = await updateDelivery(record.id, sendFacts, AHEAD_BY_RECEIPT);
    }
    const outcome: FinalOutcome = { final: true, status };
    if (patch.error) outcome.error = patch.error;
    if (patch.reason !== undefined) outcome.reason = patch.reason;
    if (patch.reasonCode !== undefined) outcome.reasonCode = patch.reasonCode;
    return { outcome, record: updated ?? { ...record, ...patch, status } };
  }

  async function recordSuccess(
    prepared: PreparedDelivery,
    channel: AnyChannel,
    result: SendResult,
  ): Promise<FinalOutcome> {
    const { task, record } = prepared;
    if (result.status === 'skipped') {
      const reasonCode = result.code ?? 'channel';
      const done = await finish(
        record,
        { channelId: channel.id, attempts: task.attempt, reason: result.reason, reasonCode },
        'skipped',
      );
      context.emit('delivery.skipped', { delivery: done.record, reason: result.reason, code: reasonCode });
      return done.outcome;
    }
    const patch: DeliveryPatch = { channelId: channel.id, attempts: task.attempt };
    if (result.providerMessageId !== undefined) patch.providerMessageId = result.providerMessageId;
    if (result.detail !== undefined) patch.detail = result.detail;
    const done = await finish(record, patch, result.status);
    context.emit(result.status === 'sent' ? 'delivery.sent' : 'delivery.queued', { delivery: done.record });
    if (result.status === 'sent' && result.invalidTokens) {
      await Promise.all(result.invalidTokens.map((token) => context.removeDevice(token)));
    }
    return done.outcome;
  }

  async function recordFailure(
    prepared: PreparedDelivery,
    channelId: string | undefined,
    error: DeliveryError,
  ): Promise<TaskOutcome> {
    const { task, record } = prepared;
    const dead = new Set(error.invalidTokens?.filter((token) => typeof token === 'string'));
    if (error.code === 'INVALID_RECIPIENT' && error.token !== undefined) dead.add(error.token);
    if (dead.size > 0) await Promise.all([...dead].map((token) => context.removeDevice(token)));
    const retryInMs = retry.nextDelay(task.attempt, error);
    const patch: DeliveryPatch = { attempts: task.attempt, error: failure(error) };
    if (channelId !== undefined) patch.channelId = channelId;
    if (retryInMs !== undefined) {
      const updated = (await updateDelivery(record.id, patch, ['pending'])) ?? { ...record, ...patch };
      context.emit('delivery.retrying', { delivery: updated, error, attempt: task.attempt, retryInMs });
      logger.debug('herald: delivery will be retried', { deliveryId: record.id, code: error.code, retryInMs });
      return { final: false, retryInMs, error };
    }
    const done = await finish(record, patch, 'failed');
    context.emit('delivery.failed', { delivery: done.record, error });
    logger.warn('herald: delivery failed', { deliveryId: record.id, kind: record.kind, error: describeError(error) });
    return done.outcome;
  }

  async function skip(
    task: DeliveryTask,
    record: DeliveryRecord,
    reasonCode: SkipReasonCode,
    reason: string,
  ): Promise<FinalOutcome> {
    const done = await finish(record, { attempts: task.attempt, reason, reasonCode }, 'skipped');
    context.emit('delivery.skipped', { delivery: done.record, reason, code: reasonCode });
    return done.outcome;
  }

  async function failBeforeSend(
    task: DeliveryTask,
    record: DeliveryRecord,
    error: DeliveryError,
  ): Promise<FinalOutcome> {
    const done = await finish(record, { attempts: task.attempt, error: failure(error) }, 'failed');
    context.emit('delivery.failed', { delivery: done.record, error });
    return done.outcome;
  }

  return { finish, recordSuccess, recordFailure, failBeforeSend, skip };
}
