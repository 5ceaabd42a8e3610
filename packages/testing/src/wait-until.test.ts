import { describe, expect, it } from 'vitest';
import { waitUntil } from './wait-until';

describe('waitUntil', () => {
  it('resolves once a sync or async check holds', async () => {
    let calls = 0;
    await waitUntil('the third call', () => {
      calls += 1;
      return calls === 3;
    });
    expect(calls).toBe(3);
    let ready = false;
    setTimeout(() => {
      ready = true;
    }, 20);
    await waitUntil('the timer', async () => ready);
    expect(ready).toBe(true);
  });

  it('fails with what it waited for once the bound has passed', async () => {
    await expect(waitUntil('a reply that never comes', () => false, { timeoutMs: 30 })).rejects.toThrow(
      'Gave up waiting for a reply that never comes after 30 ms.',
    );
  });
});
