// A channel for tests: records every send and follows a script (fail N times, fail for good,
// rate-limit with retry-after, hang until aborted, skip). Like the real channel of its kind, it skips a
// recipient who has no address for it.

import {
  type ChannelContentMap,
  type ChannelKind,
  DeliveryError,
  type DeliveryErrorCode,
  type Recipient,
} from '@herald/core';
import type { Channel, SendRequest, SendResult, SkipReasonCode } from '@herald/core/spec';

export type TestChannelStep =
  | { type: 'send'; providerMessageId?: string; invalidTokens?: string[] }
  | { type: 'queue' }
  | { type: 'skip'; reason: string; code?: SkipReasonCode }
  | {
      type: 'fail';
      code: DeliveryErrorCode;
      message?: string;
      retryable?: boolean;
      retryAfterMs?: number;
      token?: string;
      /** Push tokens the failure found dead (Herald removes them whatever the code). */
      invalidTokens?: string[];
    }
  /** Throws a plain Error, as a careless channel would. */
  | { type: 'throw'; message: string }
  /** Never answers; rejects when the attempt's signal aborts. */
  | { type: 'hang' };

/** Picks the step for one call: `call` counts the calls made for this delivery id, from 1. */
export type TestChannelScript =
  | readonly TestChannelStep[]
  | ((request: SendRequest<unknown>, call: number) => TestChannelStep);

export interface TestChannelSettings {
  id?: string;
  /** Steps per delivery, in call order; after the last one, every call succeeds. Or a function. */
  script?: TestChannelScript;
  /** Gives the channel a `sendBatch` taking this many requests. */
  batchSize?: number;
  /**
   * Whether a recipient without an address for the kind is skipped before the script runs, with the reason the
   * real channel gives (default true): `email` needs `recipient.email`, `push` a push token, `whatsapp` a phone.
   */
  skipsRecipientsWithoutAddress?: boolean;
}

/**
 * Why the real channel of a kind skips a recipient: the email, FCM and WhatsApp channels each skip one with no
 * address for them, before calling their provider, with these reasons.
 */
const missingAddress: Partial<Record<string, (recipient: Recipient) => string | undefined>> = {
  email: (recipient) =>
    typeof recipient.email === 'string' && recipient.email.trim() !== '' ? undefined : 'recipient has no email address',
  push: (recipient) =>
    Array.isArray(recipient.pushTokens) &&
    recipient.pushTokens.some((token) => typeof token === 'string' && token !== '')
      ? undefined
      : `recipient ${recipient.id} has no push tokens`,
  whatsapp: (recipient) =>
    recipient.phone === undefined || recipient.phone === ''
      ? `Recipient ${recipient.id} has no phone number.`
      : undefined,
};

export interface RecordedSend<K extends ChannelKind> {
  request: SendRequest<ChannelContentMap[K]>;
  step: TestChannelStep;
  /** What the call produced: a result, or the error it threw. */
  outcome: SendResult | DeliveryError | Error;
}

export interface TestChannel<K extends ChannelKind> extends Channel<K> {
  /** Every call, in order, with what it did. */
  readonly calls: RecordedSend<K>[];
  /** The requests that ended `sent` or `queued`. */
  readonly delivered: SendRequest<ChannelContentMap[K]>[];
  /** Batches passed to `sendBatch`, by size. */
  readonly batches: number[];
  /** Calls made for one recipient. */
  callsFor(recipientId: string): RecordedSend<K>[];
  reset(): void;
  readonly closed: boolean;
}

/** Fails `times` times with a transient code, then succeeds. */
export function failTimes(times: number, code: DeliveryErrorCode = 'UNAVAILABLE'): TestChannelStep[] {
  return Array.from({ length: times }, () => ({ type: 'fail', code }) as const);
}

/** Fails for good (not retried). */
export function failPermanently(code: DeliveryErrorCode = 'INVALID_RECIPIENT'): TestChannelScript {
  return () => ({ type: 'fail', code, retryable: false });
}

/** Answers RATE_LIMITED with a retry-after `times` times, then succeeds. */
export function rateLimited(times: number, retryAfterMs: number): TestChannelStep[] {
  return Array.from({ length: times }, () => ({ type: 'fail', code: 'RATE_LIMITED', retryAfterMs }) as const);
}

/** Hangs until the attempt times out, `times` times (forever when omitted). */
export function hangUntilAborted(times = Number.POSITIVE_INFINITY): TestChannelScript {
  return (_request, call) => (call <= times ? { type: 'hang' } : { type: 'send' });
}

export function createTestChannel<K extends ChannelKind>(kind: K, settings: TestChannelSettings = {}): TestChannel<K> {
  const id = settings.id ?? `test-${kind}`;
  const calls: RecordedSend<K>[] = [];
  const delivered: SendRequest<ChannelContentMap[K]>[] = [];
  const batches: number[] = [];
  const callCounts = new Map<string, number>();
  let closed = false;
  let messageCount = 0;

  const addressless = settings.skipsRecipientsWithoutAddress === false ? undefined : missingAddress[kind];

  const stepFor = (request: SendRequest<ChannelContentMap[K]>): TestChannelStep => {
    // Nothing would reach the provider, so the script's steps are left for the sends that do.
    const reason = addressless?.(request.recipient);
    if (reason !== undefined) return { type: 'skip', reason, code: 'no-address' };
    const call = (callCounts.get(request.deliveryId) ?? 0) + 1;
    callCounts.set(request.deliveryId, call);
    const { script } = settings;
    if (typeof script === 'function') return script(request as SendRequest<unknown>, call);
    return script?.[call - 1] ?? { type: 'send' };
  };

  async function perform(request: SendRequest<ChannelContentMap[K]>, step: TestChannelStep): Promise<SendResult> {
    if (request.signal.aborted) {
      throw new DeliveryError('TIMEOUT', 'The attempt was aborted before the send', { cause: request.signal.reason });
    }
    switch (step.type) {
      case 'send':
        messageCount += 1;
        return {
          status: 'sent',
          providerMessageId: step.providerMessageId ?? `${id}-${messageCount}`,
          ...(step.invalidTokens ? { invalidTokens: step.invalidTokens } : {}),
        };
      case 'queue':
        return { status: 'queued' };
      case 'skip':
        return { status: 'skipped', reason: step.reason, ...(step.code === undefined ? {} : { code: step.code }) };
      case 'fail':
        throw new DeliveryError(step.code, step.message ?? `${id}: scripted ${step.code}`, {
          ...(step.retryable === undefined ? {} : { retryable: step.retryable }),
          ...(step.retryAfterMs === undefined ? {} : { retryAfterMs: step.retryAfterMs }),
          ...(step.token === undefined ? {} : { token: step.token }),
          ...(step.invalidTokens === undefined ? {} : { invalidTokens: step.invalidTokens }),
        });
      case 'throw':
        throw new Error(step.message);
      case 'hang':
        return new Promise<SendResult>((_, reject) => {
          request.signal.addEventListener(
            'abort',
            () =>
              reject(new DeliveryError('TIMEOUT', `${id}: aborted while hanging`, { cause: request.signal.reason })),
            { once: true },
          );
        });
    }
  }

  async function send(request: SendRequest<ChannelContentMap[K]>): Promise<SendResult> {
    const step = stepFor(request);
    try {
      const result = await perform(request, step);
      calls.push({ request, step, outcome: result });
      if (result.status !== 'skipped') delivered.push(request);
      return result;
    } catch (error) {
      calls.push({ request, step, outcome: error as Error });
      throw error;
    }
  }

  const channel: TestChannel<K> = {
    specificationVersion: 'v1',
    kind,
    id,
    ...(settings.batchSize ? { capabilities: { maxBatchSize: settings.batchSize } } : {}),
    send,
    ...(settings.batchSize
      ? {
          async sendBatch(requests: SendRequest<ChannelContentMap[K]>[]): Promise<(SendResult | Error)[]> {
            batches.push(requests.length);
            return Promise.all(requests.map((request) => send(request).catch((error: Error) => error)));
          },
        }
      : {}),
    calls,
    delivered,
    batches,
    callsFor: (recipientId) => calls.filter((call) => call.request.recipient.id === recipientId),
    reset() {
      calls.length = 0;
      delivered.length = 0;
      batches.length = 0;
      callCounts.clear();
    },
    get closed() {
      return closed;
    },
    async close() {
      closed = true;
    },
  };
  return channel;
}
