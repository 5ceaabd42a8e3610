// `createFcmChannel`: Herald's push channel over Firebase Cloud Messaging, through an injected firebase-admin.

import { ConfigurationError, DeliveryError, type Logger } from '@herald/core';
import { type Channel, type SendRequest, type SendResult, silentLogger } from '@herald/core/spec';
import type { App } from 'firebase-admin/app';
import type { BatchResponse, Messaging, TokenMessage } from 'firebase-admin/messaging';
import { abbreviateToken, toFcmDeliveryError } from './fcm-error';
import { buildPushMessage, type PushContent } from './push-content';

/** FCM's limit on messages per `sendEach` call. */
export const FCM_MAX_MESSAGES_PER_CALL = 500;

export interface FcmChannelSettings {
  /** A firebase-admin `Messaging` instance; wins over `app`. */
  messaging?: Messaging;
  /** A firebase-admin `App`; its `Messaging` is used. Without either, the default app's. */
  app?: App;
  /** Names the channel in records and logs (default `fcm`). */
  id?: string;
  /** Validate with FCM without delivering (firebase-admin's `dryRun`). */
  dryRun?: boolean;
  logger?: Logger;
  /**
   * Called for every token FCM says is dead, whether or not the delivery as a whole succeeded.
   * Herald already removes such devices from its store; this is for hosts that keep tokens elsewhere.
   */
  onInvalidToken?: (token: string, error: DeliveryError) => void;
}

type PushRequest = SendRequest<PushContent>;
type TokenOutcome = { ok: true; messageId: string } | { ok: false; error: DeliveryError };

interface PreparedRequest {
  index: number;
  tokens: string[];
  /** Position of this request's first message in the flattened message list. */
  offset: number;
}

function timeoutError(signal: AbortSignal): DeliveryError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new DeliveryError('TIMEOUT', `FCM send aborted before it finished: ${reason}`, { cause: signal.reason });
}

function uniqueTokens(tokens: readonly unknown[] | undefined): string[] {
  if (!Array.isArray(tokens)) return [];
  return [...new Set(tokens.filter((token): token is string => typeof token === 'string' && token.length > 0))];
}

/** Permanent problems with the send itself outrank transient ones: retrying those cannot help. */
const severity: Record<DeliveryError['code'], number> = {
  CONFIGURATION: 6,
  UNAUTHORIZED: 5,
  INVALID_CONTENT: 4,
  RATE_LIMITED: 3,
  UNAVAILABLE: 2,
  TIMEOUT: 1,
  INVALID_RECIPIENT: 0,
};

/**
 * Creates the `push` channel. One `send` covers every token of one recipient; `sendBatch` packs the
 * tokens of many recipients into `sendEach` calls of at most 500 messages and maps results back.
 */
export function createFcmChannel(settings: FcmChannelSettings = {}): Channel<'push'> {
  const logger = settings.logger ?? silentLogger;
  const id = settings.id ?? 'fcm';
  const dryRun = settings.dryRun === true;
  let messagingPromise: Promise<Messaging> | undefined;

  function messaging(): Promise<Messaging> {
    if (settings.messaging) return Promise.resolve(settings.messaging);
    messagingPromise ??= import('firebase-admin/messaging').then(
      (module) => module.getMessaging(settings.app),
      (error: unknown) => {
        messagingPromise = undefined;
        throw new ConfigurationError(
          'createFcmChannel: firebase-admin is not installed; add it (npm i firebase-admin) or pass settings.messaging.',
          { cause: error },
        );
      },
    );
    return messagingPromise;
  }

  async function sendChunk(client: Messaging, messages: TokenMessage[]): Promise<TokenOutcome[]> {
    let response: BatchResponse;
    try {
      response = await client.sendEach(messages, dryRun);
    } catch (error) {
      // A session error (firebase-admin 13) may still carry what was settled before the session died; 14 resolves
      // instead, failing the messages the session took down.
      const pending = (error as { pendingBatchResponse?: Promise<BatchResponse> }).pendingBatchResponse;
      const settled = pending ? await pending.catch(() => undefined) : undefined;
      if (!settled) {
        const failure = toFcmDeliveryError(error);
        return messages.map(() => ({ ok: false, error: failure }));
      }
      response = settled;
    }
    return messages.map((message, index): TokenOutcome => {
      const item = response.responses[index];
      if (item?.success && item.messageId !== undefined) return { ok: true, messageId: item.messageId };
      return {
        ok: false,
        error: toFcmDeliveryError(item?.error ?? new Error('FCM returned no response for this message'), message.token),
      };
    });
  }

  function reportInvalid(token: string, error: DeliveryError): void {
    logger.info('fcm: dead push token', {
      channel: id,
      token: abbreviateToken(token),
      providerCode: error.providerCode,
    });
    try {
      settings.onInvalidToken?.(token, error);
    } catch (callbackError) {
      logger.error('fcm: onInvalidToken threw', { channel: id, error: String(callbackError) });
    }
  }

  function settle(request: PushRequest, tokens: string[], outcomes: TokenOutcome[]): SendResult | Error {
    const messageIds: string[] = [];
    const invalidTokens: string[] = [];
    const deadErrors: DeliveryError[] = [];
    const otherFailures: DeliveryError[] = [];
    outcomes.forEach((outcome, index) => {
      if (outcome.ok) messageIds.push(outcome.messageId);
      else if (outcome.error.code === 'INVALID_RECIPIENT') {
        const token = outcome.error.token ?? tokens[index];
        if (token !== undefined) {
          invalidTokens.push(token);
          deadErrors.push(outcome.error);
          reportInvalid(token, outcome.error);
        }
      } else otherFailures.push(outcome.error);
    });

    if (messageIds.length > 0) {
      const parts = [`sent to ${messageIds.length} of ${tokens.length} device${tokens.length === 1 ? '' : 's'}`];
      if (invalidTokens.length > 0) parts.push(`${invalidTokens.length} dead`);
      if (otherFailures.length > 0) {
        // Retrying the delivery would push again to the devices that already have it, so the
        // transient failures of the rest are reported, not retried.
        parts.push(
          `${otherFailures.length} failed (${[...new Set(otherFailures.map((error) => error.code))].join(', ')})`,
        );
        logger.warn('fcm: some devices of a recipient failed', {
          channel: id,
          deliveryId: request.deliveryId,
          failures: otherFailures.map((error) => error.message),
        });
      }
      const result: SendResult = {
        status: 'sent',
        providerMessageId: messageIds[0] as string,
        detail: parts.join('; '),
      };
      if (invalidTokens.length > 0) result.invalidTokens = invalidTokens;
      return result;
    }

    const worst = otherFailures.reduce<DeliveryError | undefined>(
      (current, error) => (current === undefined || severity[error.code] > severity[current.code] ? error : current),
      undefined,
    );
    if (worst === undefined) {
      return new DeliveryError(
        'INVALID_RECIPIENT',
        tokens.length === 1
          ? `FCM: the only push token of recipient ${request.recipient.id} (${abbreviateToken(invalidTokens[0] ?? '')}) is no longer valid.`
          : `FCM: all ${tokens.length} push tokens of recipient ${request.recipient.id} are no longer valid.`,
        {
          token: invalidTokens[0] as string,
          invalidTokens,
          providerCode: deadErrors[0]?.providerCode ?? 'UNREGISTERED',
          cause: deadErrors[0],
        },
      );
    }
    // Dead tokens found alongside another failure are named too. A copy: one error object can stand for
    // every message of a failed sendEach call, and so for other requests.
    return invalidTokens.length === 0 ? worst : copyDeliveryError(worst, invalidTokens);
  }

  async function sendRequests(requests: PushRequest[]): Promise<(SendResult | Error)[]> {
    const results: (SendResult | Error | undefined)[] = new Array(requests.length);
    const prepared: PreparedRequest[] = [];
    const messages: TokenMessage[] = [];

    requests.forEach((request, index) => {
      if (request.signal.aborted) {
        results[index] = timeoutError(request.signal);
        return;
      }
      const tokens = uniqueTokens(request.recipient.pushTokens);
      if (tokens.length === 0) {
        results[index] = {
          status: 'skipped',
          reason: `recipient ${request.recipient.id} has no push tokens`,
          code: 'no-address',
        };
        return;
      }
      let template: ReturnType<typeof buildPushMessage>;
      try {
        template = buildPushMessage(request.content);
      } catch (error) {
        results[index] = toFcmDeliveryError(error);
        return;
      }
      prepared.push({ index, tokens, offset: messages.length });
      for (const token of tokens) messages.push({ ...template, token });
    });

    if (messages.length > 0) {
      let outcomes: TokenOutcome[];
      try {
        const client = await messaging();
        const chunks: TokenMessage[][] = [];
        for (let start = 0; start < messages.length; start += FCM_MAX_MESSAGES_PER_CALL) {
          chunks.push(messages.slice(start, start + FCM_MAX_MESSAGES_PER_CALL));
        }
        outcomes = (await Promise.all(chunks.map((chunk) => sendChunk(client, chunk)))).flat();
      } catch (error) {
        const failure = toFcmDeliveryError(error);
        outcomes = messages.map(() => ({ ok: false, error: failure }));
      }
      for (const { index, tokens, offset } of prepared) {
        const request = requests[index] as PushRequest;
        results[index] = request.signal.aborted
          ? timeoutError(request.signal)
          : settle(request, tokens, outcomes.slice(offset, offset + tokens.length));
      }
    }
    return results as (SendResult | Error)[];
  }

  /** Resolves with the results, or rejects as soon as the (single) request's signal aborts. */
  function raceAbort<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
    if (signal.aborted) return Promise.reject(timeoutError(signal));
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(timeoutError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  return {
    specificationVersion: 'v1',
    kind: 'push',
    id,
    capabilities: { maxBatchSize: FCM_MAX_MESSAGES_PER_CALL },
    async send(request) {
      const [result] = await raceAbort(request.signal, sendRequests([request]));
      if (result instanceof Error) throw result;
      if (result === undefined) throw new DeliveryError('UNAVAILABLE', 'FCM: no result for the request');
      return result;
    },
    sendBatch(requests) {
      return sendRequests(requests);
    },
  };
}

function copyDeliveryError(error: DeliveryError, invalidTokens: string[]): DeliveryError {
  const options: ConstructorParameters<typeof DeliveryError>[2] = {
    retryable: error.retryable,
    cause: error.cause,
    invalidTokens,
  };
  if (error.retryAfterMs !== undefined) options.retryAfterMs = error.retryAfterMs;
  if (error.providerCode !== undefined) options.providerCode = error.providerCode;
  if (error.token !== undefined) options.token = error.token;
  return new DeliveryError(error.code, error.message, options);
}
