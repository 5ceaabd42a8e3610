import { type ChannelContentMap, defineNotification } from '@herald/core';
import type { Channel } from '@herald/core/spec';
import { expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import { createFcmChannel } from './index';
import type { PushContent } from './push-content';

test('importing @herald/fcm adds push content to ChannelContentMap', () => {
  expectTypeOf<ChannelContentMap['push']>().toEqualTypeOf<PushContent>();
  expectTypeOf(createFcmChannel).returns.toEqualTypeOf<Channel<'push'>>();
});

test('a push builder is checked against PushContent', () => {
  defineNotification({
    type: 'ticket.assigned',
    schema: z.object({ ticketId: z.string(), count: z.number() }),
    channels: {
      push: ({ payload }) => ({
        title: 'Assigned',
        body: payload.ticketId,
        data: { ticketId: payload.ticketId, count: payload.count },
      }),
    },
  });
  defineNotification({
    type: 'ticket.closed',
    schema: z.object({ ticketId: z.string() }),
    channels: {
      // @ts-expect-error data values must be strings, numbers or booleans
      push: ({ payload }) => ({ title: 'Closed', body: payload.ticketId, data: { nested: { id: payload.ticketId } } }),
    },
  });
  defineNotification({
    type: 'ticket.reopened',
    schema: z.object({ ticketId: z.string() }),
    channels: {
      // @ts-expect-error body is required
      push: () => ({ title: 'Reopened' }),
    },
  });
});
