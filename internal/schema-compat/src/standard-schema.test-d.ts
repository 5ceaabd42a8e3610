// defineNotification and notify infer the payload from any Standard Schema v1 validator: `notify` takes the
// schema's input (the count may be left out), content builders see its output (the count is a number).
import type { Herald, NotifyOptions, PayloadInput, PayloadOutput } from '@herald/core';
import { defineNotification } from '@herald/core';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expectTypeOf, it } from 'vitest';
import { arktypeSchema, valibotSchema, zod3v4Schema, zod4Schema } from './ticket-schemas';

declare const herald: Herald;

interface Line {
  sku: string;
  qty: number;
}

function definitionOf<const Schema extends StandardSchemaV1>(schema: Schema) {
  return defineNotification({
    type: 'order.shipped',
    schema,
    channels: { inApp: () => ({ title: 'Shipped', body: 'On its way' }) },
  });
}

describe('zod 4', () => {
  it('types notify with the input and builders with the output', () => {
    const shipped = defineNotification({
      type: 'order.shipped',
      schema: zod4Schema,
      channels: {
        inApp: ({ payload }) => {
          expectTypeOf(payload).toEqualTypeOf<StandardSchemaV1.InferOutput<typeof zod4Schema>>();
          expectTypeOf(payload.count).toEqualTypeOf<number>();
          expectTypeOf(payload.lines).toEqualTypeOf<Line[]>();
          return { title: payload.title, body: `${payload.count} lines` };
        },
      },
    });
    expectTypeOf<PayloadInput<typeof shipped>>().toEqualTypeOf<StandardSchemaV1.InferInput<typeof zod4Schema>>();
    expectTypeOf<PayloadOutput<typeof shipped>>().toEqualTypeOf<StandardSchemaV1.InferOutput<typeof zod4Schema>>();
    expectTypeOf<NotifyOptions<typeof shipped>['payload']>().toEqualTypeOf<PayloadInput<typeof shipped>>();
    void herald.notify(shipped, { to: 'ana', payload: { title: 'Printer', lines: [{ sku: 'A-1', qty: 2 }] } });
    // @ts-expect-error a title must be a string
    void herald.notify(shipped, { to: 'ana', payload: { title: 5, lines: [] } });
    // @ts-expect-error lines are required
    void herald.notify(shipped, { to: 'ana', payload: { title: 'Printer' } });
  });
});

describe("zod 3.25's zod/v4", () => {
  it('types notify with the input and builders with the output', () => {
    const shipped = defineNotification({
      type: 'order.shipped',
      schema: zod3v4Schema,
      channels: {
        inApp: ({ payload }) => {
          expectTypeOf(payload).toEqualTypeOf<StandardSchemaV1.InferOutput<typeof zod3v4Schema>>();
          expectTypeOf(payload.count).toEqualTypeOf<number>();
          expectTypeOf(payload.lines).toEqualTypeOf<Line[]>();
          return { title: payload.title, body: `${payload.count} lines` };
        },
      },
    });
    expectTypeOf<PayloadInput<typeof shipped>>().toEqualTypeOf<StandardSchemaV1.InferInput<typeof zod3v4Schema>>();
    expectTypeOf<PayloadOutput<typeof shipped>>().toEqualTypeOf<StandardSchemaV1.InferOutput<typeof zod3v4Schema>>();
    void herald.notify(shipped, { to: 'ana', payload: { title: 'Printer', lines: [{ sku: 'A-1', qty: 2 }] } });
    // @ts-expect-error a title must be a string
    void herald.notify(shipped, { to: 'ana', payload: { title: 5, lines: [] } });
    // @ts-expect-error lines are required
    void herald.notify(shipped, { to: 'ana', payload: { title: 'Printer' } });
  });
});

describe('valibot', () => {
  it('types notify with the input and builders with the output', () => {
    const shipped = defineNotification({
      type: 'order.shipped',
      schema: valibotSchema,
      channels: {
        inApp: ({ payload }) => {
          expectTypeOf(payload).toEqualTypeOf<StandardSchemaV1.InferOutput<typeof valibotSchema>>();
          expectTypeOf(payload.count).toEqualTypeOf<number>();
          expectTypeOf(payload.lines).toEqualTypeOf<Line[]>();
          return { title: payload.title, body: `${payload.count} lines` };
        },
      },
    });
    expectTypeOf<PayloadInput<typeof shipped>>().toEqualTypeOf<StandardSchemaV1.InferInput<typeof valibotSchema>>();
    expectTypeOf<PayloadOutput<typeof shipped>>().toEqualTypeOf<StandardSchemaV1.InferOutput<typeof valibotSchema>>();
    void herald.notify(shipped, { to: 'ana', payload: { title: 'Printer', lines: [{ sku: 'A-1', qty: 2 }] } });
    // @ts-expect-error a title must be a string
    void herald.notify(shipped, { to: 'ana', payload: { title: 5, lines: [] } });
    // @ts-expect-error lines are required
    void herald.notify(shipped, { to: 'ana', payload: { title: 'Printer' } });
  });
});

describe('arktype', () => {
  it('types notify with the input and builders with the output', () => {
    const shipped = defineNotification({
      type: 'order.shipped',
      schema: arktypeSchema,
      channels: {
        inApp: ({ payload }) => {
          expectTypeOf(payload).toEqualTypeOf<StandardSchemaV1.InferOutput<typeof arktypeSchema>>();
          expectTypeOf(payload.count).toEqualTypeOf<number>();
          expectTypeOf(payload.lines).toEqualTypeOf<Line[]>();
          return { title: payload.title, body: `${payload.count} lines` };
        },
      },
    });
    expectTypeOf<PayloadInput<typeof shipped>>().toEqualTypeOf<StandardSchemaV1.InferInput<typeof arktypeSchema>>();
    expectTypeOf<PayloadOutput<typeof shipped>>().toEqualTypeOf<StandardSchemaV1.InferOutput<typeof arktypeSchema>>();
    void herald.notify(shipped, { to: 'ana', payload: { title: 'Printer', lines: [{ sku: 'A-1', qty: 2 }] } });
    // @ts-expect-error a title must be a string
    void herald.notify(shipped, { to: 'ana', payload: { title: 5, lines: [] } });
    // @ts-expect-error lines are required
    void herald.notify(shipped, { to: 'ana', payload: { title: 'Printer' } });
  });
});

describe('any Standard Schema v1 object', () => {
  it('is accepted as schema, its input typing notify', () => {
    const custom: StandardSchemaV1<{ id: string }, { id: string; seen: true }> = {
      '~standard': {
        version: 1,
        vendor: 'herald-test',
        validate: (value) => ({ value: { ...(value as { id: string }), seen: true } }),
      },
    };
    const seen = definitionOf(custom);
    expectTypeOf<PayloadInput<typeof seen>>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<PayloadOutput<typeof seen>>().toEqualTypeOf<{ id: string; seen: true }>();
    void herald.notify(seen, { to: 'ana', payload: { id: 'x' } });
  });
});
