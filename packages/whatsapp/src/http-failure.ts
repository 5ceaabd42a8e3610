// Failures below the provider's API (the network, an abort, a proxy's page) as DeliveryErrors.

import { DeliveryError } from '@herald/core';

/** A fetch that never got a response: aborted (TIMEOUT) or a network failure (UNAVAILABLE). Both retryable. */
export function transportError(provider: string, error: unknown, signal: AbortSignal): DeliveryError {
  if (DeliveryError.is(error)) return error;
  if (signal.aborted) {
    return new DeliveryError('TIMEOUT', `${provider}: the request was aborted before a response came back.`, {
      cause: signal.reason ?? error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new DeliveryError('UNAVAILABLE', `${provider}: the request failed (${message}).`, { cause: error });
}

/** Throws a TIMEOUT DeliveryError if the attempt was already aborted, before anything is sent. */
export function throwIfAborted(provider: string, signal: AbortSignal): void {
  if (signal.aborted) {
    throw new DeliveryError('TIMEOUT', `${provider}: the attempt was aborted before sending.`, {
      cause: signal.reason,
    });
  }
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), when the response has one. */
export function retryAfterMs(response: Response, now: number = Date.now()): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The response body as JSON, or `undefined` when it is not JSON (an HTML error page from a proxy). */
export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
