// The classification table for cases a loopback peer cannot stage cheaply (timeouts, TLS, MAIL FROM
// refusals); the reachable ones are exercised end to end in email-channel.test.ts.
import { DeliveryError } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { classifySmtpError } from './email-error';

function smtpError(fields: {
  code?: string;
  responseCode?: number;
  command?: string;
  response?: string;
  message?: string;
}): Error {
  const { message = 'failed', ...rest } = fields;
  return Object.assign(new Error(message), rest);
}

describe('classifySmtpError', () => {
  it.each([
    [
      { code: 'EENVELOPE', responseCode: 421, command: 'RCPT TO', response: '421 Too many connections' },
      'RATE_LIMITED',
      true,
      421,
    ],
    [
      { code: 'EENVELOPE', responseCode: 450, command: 'RCPT TO', response: '450 4.7.1 Rate limit exceeded' },
      'RATE_LIMITED',
      true,
      450,
    ],
    [
      { code: 'EMESSAGE', responseCode: 452, command: 'DATA', response: '452 4.3.1 Insufficient storage' },
      'UNAVAILABLE',
      true,
      452,
    ],
    [
      { code: 'EENVELOPE', responseCode: 551, command: 'RCPT TO', response: '551 User not local' },
      'INVALID_RECIPIENT',
      false,
      551,
    ],
    [
      { code: 'EENVELOPE', responseCode: 553, command: 'RCPT TO', response: '553 Mailbox name not allowed' },
      'INVALID_RECIPIENT',
      false,
      553,
    ],
    [
      { code: 'EMESSAGE', responseCode: 552, command: 'DATA', response: '552 Message too large' },
      'INVALID_CONTENT',
      false,
      552,
    ],
    [
      { code: 'EENVELOPE', responseCode: 552, command: 'MAIL FROM', response: '552 Message size exceeds limit' },
      'INVALID_CONTENT',
      false,
      552,
    ],
    [
      { code: 'EENVELOPE', responseCode: 550, command: 'MAIL FROM', response: '550 Sender not allowed' },
      'CONFIGURATION',
      false,
      550,
    ],
    [
      { code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN', response: '535 Authentication failed' },
      'CONFIGURATION',
      false,
      535,
    ],
    [{ code: 'ETLS', command: 'STARTTLS' }, 'CONFIGURATION', false, 'ETLS'],
    [{ code: 'ETIMEDOUT', command: 'CONN' }, 'TIMEOUT', true, 'ETIMEDOUT'],
    [{ code: 'ECONNECTION', command: 'CONN' }, 'UNAVAILABLE', true, 'ECONNECTION'],
    [{ code: 'ESOCKET', command: 'CONN' }, 'UNAVAILABLE', true, 'ESOCKET'],
    [{ code: 'ECONNRESET' }, 'UNAVAILABLE', true, 'ECONNRESET'],
    [{ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'CONFIGURATION', false, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    [{ code: 'EENVELOPE', command: 'API', message: 'Invalid sender "x"' }, 'CONFIGURATION', false, 'EENVELOPE'],
    [{ code: 'EENVELOPE', command: 'API', message: 'Invalid recipient "x"' }, 'INVALID_RECIPIENT', false, 'EENVELOPE'],
    [{}, 'UNAVAILABLE', true, undefined],
  ])('classifies %o as %s', (fields, code, retryable, providerCode) => {
    const error = classifySmtpError(smtpError(fields));
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ code, retryable, providerCode });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('passes a DeliveryError through unchanged', () => {
    const original = new DeliveryError('TIMEOUT', 'aborted');
    expect(classifySmtpError(original)).toBe(original);
  });

  it('classifies non-Error values', () => {
    expect(classifySmtpError('boom')).toMatchObject({ code: 'UNAVAILABLE', message: 'Sending the email failed: boom' });
  });
});
