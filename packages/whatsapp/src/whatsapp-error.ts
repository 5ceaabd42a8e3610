// Graph API errors → Herald's DeliveryError taxonomy. WhatsApp errors are told apart by `code`, not by HTTP status.

import { DeliveryError, type DeliveryErrorCode } from '@herald/core';

/** The `error` object of a Graph API error response (and, in part, of a webhook status's `errors`). */
export interface GraphError {
  code?: number;
  message?: string;
  title?: string;
  type?: string;
  error_subcode?: number;
  error_data?: { details?: string };
  fbtrace_id?: string;
}

/** The 24-hour customer-service window is closed: only a template can go out. */
export const WINDOW_CLOSED_CODE = 131047;

const codes = new Map<number, DeliveryErrorCode>([
  // Transient: throughput, pair rate, app and account limits; Meta's own failures.
  [130429, 'RATE_LIMITED'],
  [131056, 'RATE_LIMITED'],
  [4, 'RATE_LIMITED'],
  [80007, 'RATE_LIMITED'],
  [1, 'UNAVAILABLE'],
  [2, 'UNAVAILABLE'],
  [131000, 'UNAVAILABLE'],
  // Permanent, about the recipient.
  [131026, 'INVALID_RECIPIENT'],
  [131021, 'INVALID_RECIPIENT'],
  [131030, 'INVALID_RECIPIENT'],
  // Permanent, about the message.
  [100, 'INVALID_CONTENT'],
  [131008, 'INVALID_CONTENT'],
  [131009, 'INVALID_CONTENT'],
  [131051, 'INVALID_CONTENT'],
  [WINDOW_CLOSED_CODE, 'INVALID_CONTENT'],
  // The token or the app's rights.
  [190, 'UNAUTHORIZED'],
  [10, 'UNAUTHORIZED'],
  [200, 'UNAUTHORIZED'],
  [3, 'CONFIGURATION'],
  [131031, 'CONFIGURATION'],
  [133010, 'CONFIGURATION'],
]);

function codeFor(code: number | undefined): DeliveryErrorCode | undefined {
  if (code === undefined) return undefined;
  if (code >= 132000 && code <= 132012) return 'INVALID_CONTENT';
  return codes.get(code);
}

/** Only when the body names no code we know: 429 and 5xx are transient, 401/403 a bad token, other 4xx permanent. */
function codeForStatus(status: number): DeliveryErrorCode {
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'UNAVAILABLE';
  if (status === 401 || status === 403) return 'UNAUTHORIZED';
  return 'INVALID_CONTENT';
}

function advice(code: number | undefined): string {
  if (code === WINDOW_CLOSED_CODE) {
    return ' The 24-hour customer-service window is closed: free-form text cannot go out; give the content a `template` (approved in WhatsApp Manager).';
  }
  if (code === 190) return ' The access token is invalid or expired: renew it and update the channel settings.';
  if (code !== undefined && code >= 132000 && code <= 132012) {
    return ' Check the template name, language and parameters against the approved template.';
  }
  return '';
}

/** Describes a Graph error for messages and records: code, title/message and details. */
export function describeGraphError(error: GraphError): string {
  const text = error.message ?? error.title ?? 'unknown error';
  const details = error.error_data?.details;
  return `${text}${details && details !== text ? ` — ${details}` : ''} (code ${error.code ?? 'none'})`;
}

/** The taxonomy code for a Graph error code, for webhook `failed` statuses too. */
export function graphErrorCode(code: number | undefined, httpStatus = 400): DeliveryErrorCode {
  return codeFor(code) ?? codeForStatus(httpStatus);
}

/** A DeliveryError for a Graph API error response. */
export function toWhatsAppDeliveryError(
  error: GraphError | undefined,
  httpStatus: number,
  retryAfter?: number | undefined,
): DeliveryError {
  if (error === undefined) {
    const code = codeForStatus(httpStatus);
    return new DeliveryError(code, `WhatsApp Cloud API answered HTTP ${httpStatus} without a Graph error body.`, {
      providerCode: httpStatus,
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    });
  }
  const code = graphErrorCode(error.code, httpStatus);
  return new DeliveryError(code, `WhatsApp Cloud API: ${describeGraphError(error)}.${advice(error.code)}`, {
    ...(error.code !== undefined ? { providerCode: error.code } : {}),
    ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    cause: error,
  });
}
