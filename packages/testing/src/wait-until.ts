// Polls for a condition that another process, socket or timer makes true, in real time.

export interface WaitUntilOptions {
  /** Give up after this long (default 10 s). The bound only turns a hang into a failure; nothing asserts on time. */
  timeoutMs?: number;
}

/**
 * Resolves once `check` holds, checking at once and then at growing intervals (5 ms up to 50 ms); fails with
 * "Gave up waiting for <what>" after `timeoutMs`. It uses real timers: under `vi.useFakeTimers()` it never
 * advances, and with Herald's test clock nothing needs waiting for.
 *
 * ```ts
 * await waitUntil('the worker to send both', () => pager.delivered.length === 2);
 * ```
 */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: WaitUntilOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const giveUpAt = Date.now() + timeoutMs;
  let delayMs = 5;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`Gave up waiting for ${what} after ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 50);
  }
}
