// Maps firebase-admin errors onto Herald's delivery taxonomy. They carry `code` and `message`; from firebase-admin
// 14 on, also the `httpResponse` they came from, whose Retry-After tells how long FCM wants us to wait.

import { DeliveryError, type DeliveryErrorCode } from '@herald/core';

const deadTokenCodes = new Set([
  'registration-token-not-registered',
  'invalid-registration-token',
  'invalid-recipient',
]);
const rateLimitedCodes = new Set([
  'message-rate-exceeded',
  'device-message-rate-exceeded',
  'topics-message-rate-exceeded',
]);
// internal-error, server-unavailable, unknown-error and network errors fall through to UNAVAILABLE.
const timeoutCodes = new Set(['network-timeout']);
const configurationCodes = new Set([
  'mismatched-credential',
  'third-party-auth-error',
  'invalid-credential',
  'invalid-package-name',
  'invalid-project-id',
  'invalid-app-options',
  'no-app',
]);
const unauthorizedCodes = new Set(['authentication-error']);
const contentCodes = new Set([
  'invalid-payload',
  'invalid-data-payload-key',
  'payload-size-limit-exceeded',
  'invalid-options',
]);

/** FCM answers 400 INVALID_ARGUMENT, not UNREGISTERED, for a token that was never valid. */
const tokenNotValidPattern = /registration token|not a valid fcm|invalid token/i;

/** The last segment of a firebase code: `messaging/internal-error` → `internal-error`. */
function shortCode(code: string): string {
  const slash = code.lastIndexOf('/');
  return slash === -1 ? code : code.slice(slash + 1);
}

function readCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Retry-After (seconds or an HTTP date) of the response an error came from, in ms; firebase-admin 14 keeps it. */
function readRetryAfterMs(error: unknown): number | undefined {
  const headers = (error as { httpResponse?: { headers?: Record<string, unknown> } } | null)?.httpResponse?.headers;
  const value = headers?.['retry-after'];
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function readMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

/**
 * Classifies one failed FCM send. `token` is the token it was for; it is set on the error only when the
 * token itself is the problem, which is what makes Herald remove the device.
 */
export function toFcmDeliveryError(error: unknown, token?: string): DeliveryError {
  if (DeliveryError.is(error)) return error;
  const providerCode = readCode(error);
  const message = readMessage(error);
  const code = providerCode === undefined ? undefined : shortCode(providerCode);
  const tokenLabel = token === undefined ? 'the token' : `token ${abbreviateToken(token)}`;

  let deliveryCode: DeliveryErrorCode;
  let isDeadToken = false;
  if (code !== undefined && deadTokenCodes.has(code)) {
    deliveryCode = 'INVALID_RECIPIENT';
    isDeadToken = true;
  } else if (code === 'invalid-argument' && tokenNotValidPattern.test(message)) {
    deliveryCode = 'INVALID_RECIPIENT';
    isDeadToken = true;
  } else if (code === 'invalid-argument' || (code !== undefined && contentCodes.has(code))) {
    deliveryCode = 'INVALID_CONTENT';
  } else if (code !== undefined && rateLimitedCodes.has(code)) {
    deliveryCode = 'RATE_LIMITED';
  } else if (code !== undefined && timeoutCodes.has(code)) {
    deliveryCode = 'TIMEOUT';
  } else if (code !== undefined && configurationCodes.has(code)) {
    deliveryCode = 'CONFIGURATION';
  } else if (code !== undefined && unauthorizedCodes.has(code)) {
    deliveryCode = 'UNAUTHORIZED';
  } else {
    // Network and session errors, and anything we do not recognise: worth another attempt.
    deliveryCode = 'UNAVAILABLE';
  }

  const text = isDeadToken
    ? `FCM: ${tokenLabel} is no longer valid (${providerCode}): ${message}`
    : `FCM send failed (${providerCode ?? 'no code'}): ${message}`;
  const options: ConstructorParameters<typeof DeliveryError>[2] = { cause: error };
  if (providerCode !== undefined) options.providerCode = providerCode;
  if (isDeadToken && token !== undefined) options.token = token;
  if (deliveryCode === 'RATE_LIMITED' || deliveryCode === 'UNAVAILABLE') {
    const retryAfterMs = readRetryAfterMs(error);
    if (retryAfterMs !== undefined) options.retryAfterMs = retryAfterMs;
  }
  return new DeliveryError(deliveryCode, text, options);
}

/** Tokens are long and secret-ish; logs and messages show enough to find one, not the whole thing. */
export function abbreviateToken(token: string): string {
  return token.length <= 16 ? token : `${token.slice(0, 8)}…${token.slice(-6)}`;
}
