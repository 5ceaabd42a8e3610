// Builds the requests Herald's dispatcher hands to a channel, for a channel's own tests.

import type { SendRequest } from '@herald/core/spec';

// Per process, so ids from two runs against a provider sandbox that deduplicates by delivery id never meet.
const run = Math.random().toString(36).slice(2, 8);
let sequence = 0;

/**
 * A `SendRequest` as `channel.send` receives it: a delivery id and notification id no other call returns,
 * attempt 1, a signal that is not aborted, and `content` as given. `overrides` replaces any field; give the
 * recipient the address your channel reads (`{ recipient: { id: 'ana', email: 'ana@example.com' } }`).
 *
 * ```ts
 * const result = await channel.send(createSendRequest({ text: 'Hi' }, { recipient: { id: 'ana', phone: '+14155550123' } }));
 * ```
 */
export function createSendRequest<Content>(
  content: Content,
  overrides: Partial<SendRequest<Content>> = {},
): SendRequest<Content> {
  sequence += 1;
  return {
    deliveryId: `delivery-${run}-${sequence}`,
    notificationId: `notification-${run}-${sequence}`,
    type: 'test.notification',
    recipient: { id: `recipient-${sequence}` },
    content,
    attempt: 1,
    signal: new AbortController().signal,
    ...overrides,
  };
}
