import { DeliveryError, ValidationError } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from './rejection';

describe('rejectionOf', () => {
  it('hands back the error, typed, when the call rejects with that class', async () => {
    const thrown = new DeliveryError('RATE_LIMITED', 'rate limited', { retryable: true });
    const error = await rejectionOf(Promise.reject(thrown), DeliveryError);
    expect(error).toBe(thrown);
    expect(error.retryable).toBe(true);
  });

  it('fails, saying so, when the call resolves', async () => {
    await expect(rejectionOf(Promise.resolve({ status: 'sent' }), DeliveryError)).rejects.toThrow(
      'Expected a DeliveryError, but the call resolved with {"status":"sent"}.',
    );
  });

  it('fails, naming what it got, when the call rejects with another error', async () => {
    const other = new ValidationError([{ path: 'payload.title', message: 'Required' }]);
    const failure = await rejectionOf(Promise.reject(other), DeliveryError).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^Expected a DeliveryError, but the call rejected with ValidationError/);
    expect((failure as Error).cause).toBe(other);
  });
});
