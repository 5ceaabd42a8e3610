// Twilio Messages API errors → Herald's DeliveryError taxonomy, by Twilio's error code first, HTTP status second.

import { DeliveryError, type DeliveryErrorCode } from '@herald/core';

/** The body of a Twilio REST error: `{ code, message, more_info, status }`. */
export interface TwilioError {
  code?: number;
  message?: string;
  more_info?: string;
  status?: number;
}

/** Twilio's "outside the 24-hour window" error; usually reported later, in the status callback. */
export const TWILIO_WINDOW_CLOSED_CODE = 63016;

const codes = new Map<number, DeliveryErrorCode>([
  [20429, 'RATE_LIMITED'],
  [14107, 'RATE_LIMITED'],
  [63018, 'RATE_LIMITED'],
  [20500, 'UNAVAILABLE'],
  [20503, 'UNAVAILABLE'],
  [30001, 'UNAVAILABLE'],
  [63038, 'RATE_LIMITED'],
  // The recipient.
  [21211, 'INVALID_RECIPIENT'],
  [21614, 'INVALID_RECIPIENT'],
  [21610, 'INVALID_RECIPIENT'],
  [63003, 'INVALID_RECIPIENT'],
  [30003, 'INVALID_RECIPIENT'],
  [30005, 'INVALID_RECIPIENT'],
  [30006, 'INVALID_RECIPIENT'],
  // The message.
  [21602, 'INVALID_CONTENT'],
  [21617, 'INVALID_CONTENT'],
  [21655, 'INVALID_CONTENT'],
  [21656, 'INVALID_CONTENT'],
  [63013, 'INVALID_CONTENT'],
  [63016, 'INVALID_CONTENT'],
  [63027, 'INVALID_CONTENT'],
  [30007, 'INVALID_CONTENT'],
  // The account and its senders.
  [20003, 'UNAUTHORIZED'],
  [20404, 'CONFIGURATION'],
  [21212, 'CONFIGURATION'],
  [21408, 'CONFIGURATION'],
  [21606, 'CONFIGURATION'],
  [63007, 'CONFIGURATION'],
]);

function codeForStatus(status: number): DeliveryErrorCode {
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'UNAVAILABLE';
  if (status === 401 || status === 403) return 'UNAUTHORIZED';
  if (status === 404) return 'CONFIGURATION';
  return 'INVALID_CONTENT';
}

/** The taxonomy code for a Twilio error code (also for `ErrorCode` in status callbacks). */
export function twilioErrorCode(code: number | undefined, httpStatus = 400): DeliveryErrorCode {
  return (code === undefined ? undefined : codes.get(code)) ?? codeForStatus(httpStatus);
}

/** A DeliveryError for a Twilio error response. */
export function toTwilioDeliveryError(
  error: TwilioError | undefined,
  httpStatus: number,
  retryAfter?: number | undefined,
): DeliveryError {
  const code = twilioErrorCode(error?.code, httpStatus);
  const what = error?.message ?? `HTTP ${httpStatus}`;
  const advice =
    error?.code === TWILIO_WINDOW_CLOSED_CODE
      ? ' The 24-hour window is closed: give the content a `template` (a Content SID).'
      : error?.code === 20003
        ? ' Check accountSid and authToken.'
        : '';
  return new DeliveryError(code, `Twilio WhatsApp: ${what} (code ${error?.code ?? 'none'}).${advice}`, {
    providerCode: error?.code ?? httpStatus,
    ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    ...(error !== undefined ? { cause: error } : {}),
  });
}
