// Maps what nodemailer reports (SMTP reply codes, its own error codes, socket errors) onto Herald's
// delivery taxonomy, so the dispatcher retries what can succeed later and records what never will.

import { DeliveryError } from '@herald/core';

/** The fields nodemailer puts on the errors it raises (all optional: socket errors carry only `code`). */
interface SmtpErrorFields {
  code?: unknown;
  responseCode?: unknown;
  command?: unknown;
  response?: unknown;
}

const connectionCodes = new Set([
  'ECONNECTION',
  'ESOCKET',
  'EDNS',
  'EPROTOCOL',
  'EMAXLIMIT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const configurationCodes = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ETLS', 'EREQUIRETLS', 'ECONFIG', 'EPROXY']);

/** Node's codes for a certificate it would not trust; nodemailer keeps only their message (as `ESOCKET`). */
const certificateCodes = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const certificateMessage =
  /certificate|self[- ]signed|unable to verify the first|unable to get (local )?issuer|altnames|Hostname\/IP does not match/i;

/** Reply codes a server uses to turn a recipient away (mailbox unknown, not local, name not allowed). */
const recipientRejections = new Set([550, 551, 553]);

function fieldsOf(error: unknown): SmtpErrorFields {
  return typeof error === 'object' && error !== null ? (error as SmtpErrorFields) : {};
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether a 4xx reply is the server asking us to slow down (as opposed to a passing fault on its side). */
function isThrottle(responseCode: number, response: string): boolean {
  if (responseCode === 421) return true;
  // Enhanced status 4.7.x is policy: rate limits, greylisting.
  if (/^4\d\d[ -]4\.7\.\d+/.test(response)) return true;
  return /\b(rate|too many|throttl|slow down|try again later|greylist)/i.test(response);
}

/**
 * Classifies an error from `sendMail`. 4xx replies and connection failures are retryable; 5xx replies
 * are permanent (`INVALID_RECIPIENT` at RCPT TO, `INVALID_CONTENT` for the message, `CONFIGURATION`
 * for the sender or the login). `providerCode` is the SMTP reply code when there is one.
 */
export function classifySmtpError(error: unknown): DeliveryError {
  if (DeliveryError.is(error)) return error;
  const { code, responseCode, command, response } = fieldsOf(error);
  const errorCode = typeof code === 'string' ? code : undefined;
  const reply =
    typeof responseCode === 'number' && responseCode >= 200 && responseCode < 600 ? responseCode : undefined;
  const stage = typeof command === 'string' ? command.toUpperCase() : undefined;
  const responseText = typeof response === 'string' ? response : '';
  const message = messageOf(error);
  const providerCode = reply ?? errorCode;
  const base = providerCode === undefined ? { cause: error } : { cause: error, providerCode };

  if (errorCode !== undefined && configurationCodes.has(errorCode)) {
    return new DeliveryError(
      'CONFIGURATION',
      `SMTP ${describeStage(stage)}failed (${errorCode}): ${message}. Check the SMTP credentials and TLS settings.`,
      base,
    );
  }
  if (
    errorCode !== undefined &&
    (certificateCodes.has(errorCode) ||
      (reply === undefined && errorCode === 'ESOCKET' && certificateMessage.test(message)))
  ) {
    // Retrying will meet the same certificate: someone has to fix the server's certificate or our trust settings.
    return new DeliveryError(
      'CONFIGURATION',
      `The SMTP server's TLS certificate was not accepted: ${message}. Check that smtp.host matches the certificate, or pass the issuing CA in smtp.tls.ca.`,
      base,
    );
  }
  if (stage === 'AUTH' && reply !== undefined && reply >= 500) {
    return new DeliveryError('CONFIGURATION', `SMTP login was refused: ${message}. Check the SMTP credentials.`, base);
  }

  if (reply !== undefined && reply >= 400 && reply < 500) {
    const throttled = isThrottle(reply, responseText);
    return new DeliveryError(
      throttled ? 'RATE_LIMITED' : 'UNAVAILABLE',
      `SMTP server deferred the message (${reply}${stage ? ` at ${stage}` : ''}): ${message}`,
      base,
    );
  }

  if (reply !== undefined && reply >= 500) {
    if (stage === 'RCPT TO' || (stage === undefined && errorCode === 'EENVELOPE' && recipientRejections.has(reply))) {
      return new DeliveryError('INVALID_RECIPIENT', `SMTP server rejected the recipient (${reply}): ${message}`, base);
    }
    if (stage === 'MAIL FROM') {
      // 552 at MAIL FROM is the SIZE extension refusing the message; anything else refuses our sender.
      if (reply === 552) {
        return new DeliveryError(
          'INVALID_CONTENT',
          `SMTP server refused the message size (${reply}): ${message}`,
          base,
        );
      }
      return new DeliveryError(
        'CONFIGURATION',
        `SMTP server rejected the sender (${reply}): ${message}. Check the "from" address is allowed to send.`,
        base,
      );
    }
    if (stage === 'DATA' || errorCode === 'EMESSAGE') {
      return new DeliveryError('INVALID_CONTENT', `SMTP server rejected the message (${reply}): ${message}`, base);
    }
    if (recipientRejections.has(reply)) {
      return new DeliveryError('INVALID_RECIPIENT', `SMTP server rejected the recipient (${reply}): ${message}`, base);
    }
    return new DeliveryError('INVALID_CONTENT', `SMTP server rejected the message (${reply}): ${message}`, base);
  }

  if (errorCode === 'ETIMEDOUT') {
    return new DeliveryError('TIMEOUT', `SMTP connection timed out: ${message}`, base);
  }
  if (errorCode !== undefined && connectionCodes.has(errorCode)) {
    return new DeliveryError('UNAVAILABLE', `SMTP server unreachable (${errorCode}): ${message}`, base);
  }
  if (errorCode === 'EENVELOPE' && /^Invalid sender/.test(message)) {
    return new DeliveryError('CONFIGURATION', `The sender address was refused: ${message}`, base);
  }
  if (errorCode === 'EENVELOPE') {
    // Raised before talking to the server (an address nodemailer could not use).
    return new DeliveryError('INVALID_RECIPIENT', `The envelope was refused: ${message}`, base);
  }
  return new DeliveryError('UNAVAILABLE', `Sending the email failed: ${message}`, base);
}

function describeStage(stage: string | undefined): string {
  return stage ? `${stage} ` : '';
}
