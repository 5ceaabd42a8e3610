import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { Herald, NotifyResult } from './herald-types';
import { defineNotification } from './notification';

declare const herald: Herald;

const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ticketId: z.string(), title: z.string(), due: z.coerce.date().optional() }),
  channels: {
    inApp: ({ payload }) => ({ title: 'Assigned', body: payload.title }),
  },
});

describe('types', () => {
  it('infers the payload from the schema', () => {
    expectTypeOf(herald.notify(ticketAssigned, { to: 'ana', payload: { ticketId: 't', title: 'x' } })).toEqualTypeOf<
      Promise<NotifyResult>
    >();
    // @ts-expect-error: ticketId must be a string
    void herald.notify(ticketAssigned, { to: 'ana', payload: { ticketId: 1, title: 'x' } });
    // @ts-expect-error: title is required
    void herald.notify(ticketAssigned, { to: 'ana', payload: { ticketId: 't' } });
    // The schema's input type is what notify takes (coerce accepts a string).
    void herald.notify(ticketAssigned, { to: 'ana', payload: { ticketId: 't', title: 'x', due: '2026-01-01' } });
  });

  it('types content builders by the channel kind, and rejects unknown kinds', () => {
    defineNotification({
      type: 'x',
      schema: z.object({ n: z.number() }),
      channels: {
        // @ts-expect-error: inApp content needs a body
        inApp: ({ payload }) => ({ title: String(payload.n) }),
      },
    });
    defineNotification({
      type: 'y',
      schema: z.object({ n: z.number() }),
      channels: {
        inApp: ({ payload }) => ({ title: 't', body: String(payload.n) }),
        // @ts-expect-error: no channel package has added the "carrierPigeon" kind
        carrierPigeon: () => ({ message: 'coo' }),
      },
    });
    defineNotification({
      type: 'z',
      schema: z.object({ n: z.number() }),
      channels: {
        // @ts-expect-error: payload.n is a number, not a string
        inApp: ({ payload }) => ({ title: 't', body: payload.n.toUpperCase() }),
      },
    });
  });

  it('types preview payloads as what notify takes (the schema input)', () => {
    const withPreviews = defineNotification({
      type: 'ticket.previewed',
      schema: z.object({ ticketId: z.string(), due: z.coerce.date().optional() }),
      channels: { inApp: ({ payload }) => ({ title: 'Previewed', body: payload.ticketId }) },
      // The input side: coerce accepts a string.
      previews: { default: { ticketId: 'T-1' }, due: { ticketId: 'T-2', due: '2026-01-01' } },
    });
    expectTypeOf(withPreviews.previews).toEqualTypeOf<Readonly<Record<string, { ticketId: string; due?: unknown }>>>();
    defineNotification({
      type: 'ticket.badPreview',
      schema: z.object({ ticketId: z.string() }),
      channels: { inApp: ({ payload }) => ({ title: 'x', body: payload.ticketId }) },
      // @ts-expect-error: ticketId must be a string
      previews: { default: { ticketId: 42 } },
    });
    defineNotification({
      type: 'ticket.missingField',
      schema: z.object({ ticketId: z.string(), title: z.string() }),
      channels: { inApp: ({ payload }) => ({ title: payload.title, body: payload.ticketId }) },
      // @ts-expect-error: title is required
      previews: { default: { ticketId: 'T-1' } },
    });
  });
});
