import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type DigestEventView, defineNotification, type ItemState } from '../notification';

declare module '../spec/channel' {
  interface ChannelContentMap {
    email: { subject: string; text?: string; html?: string };
    push: { title: string; body: string };
  }
}

const schema = z.object({ ticketId: z.string() });

describe('timing types', () => {
  it('gives events to the builders of digested kinds only', () => {
    defineNotification({
      type: 'typed.digest',
      schema,
      channels: {
        email: ({ events, digest, payload }) => {
          expectTypeOf(events).toEqualTypeOf<DigestEventView<{ ticketId: string }>[]>();
          expectTypeOf(digest.count).toBeNumber();
          return { subject: payload.ticketId };
        },
        // @ts-expect-error: push is not digested, so its builder sees no events
        push: ({ events }) => ({ title: String(events.length), body: '' }),
      },
      digest: { window: '10m', channels: ['email'] },
    });
    defineNotification({
      type: 'typed.plain',
      schema,
      // @ts-expect-error: nothing is digested without a digest
      channels: { email: ({ events }) => ({ subject: String(events) }) },
    });
  });

  it('accepts durations as literals and refuses words', () => {
    defineNotification({
      type: 'typed.after',
      schema,
      channels: { email: { after: '15m', unless: 'read', content: () => ({ subject: 's' }) } },
    });
    defineNotification({
      type: 'typed.after.ms',
      schema,
      channels: { email: { after: 90_000, content: () => ({ subject: 's' }) } },
    });
    defineNotification({
      type: 'typed.after.words',
      schema,
      // @ts-expect-error: "15 minutes" is not a duration
      channels: { email: { after: '15 minutes', content: () => ({ subject: 's' }) } },
    });
  });

  it('types an unless function by the item state', () => {
    defineNotification({
      type: 'typed.unless',
      schema,
      channels: {
        email: {
          after: '1h',
          unless: (state) => {
            expectTypeOf(state).toEqualTypeOf<ItemState>();
            return state.read || state.item?.data?.archived === true;
          },
          content: () => ({ subject: 's' }),
        },
      },
    });
  });
});
