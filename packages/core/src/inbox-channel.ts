// The rule "without a realtime inApp channel, storing the inbox item is the delivery", in one place: a channel
// that announces nothing. The dispatcher records immediate items as sent by it at notify time (no runner
// round trip); the executor uses it for scheduled items, which are stored when due.

import type { Channel } from './spec/channel';

export const storedInboxChannel: Channel<'inApp'> = Object.freeze({
  specificationVersion: 'v1',
  kind: 'inApp',
  id: 'inbox',
  send: async () => ({ status: 'sent' as const }),
});
