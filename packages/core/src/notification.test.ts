import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError } from './errors';
import { defineNotification } from './notification';

describe('defineNotification', () => {
  const schema = z.object({ id: z.string() });

  it('keeps type, schema, builders and the list of kinds', () => {
    const definition = defineNotification({
      type: 'order.shipped',
      schema,
      channels: { inApp: ({ payload }) => ({ title: 'Shipped', body: payload.id }) },
    });
    expect(definition).toMatchObject({ type: 'order.shipped', critical: false, kinds: ['inApp'] });
    expect(Object.isFrozen(definition)).toBe(true);
  });

  it('rejects bad definitions with a message naming the problem', () => {
    expect(() =>
      defineNotification({ type: '', schema, channels: { inApp: () => ({ title: '', body: '' }) } }),
    ).toThrow(ConfigurationError);
    expect(() => defineNotification({ type: 'x', schema: {} as never, channels: {} })).toThrow(
      /must implement Standard Schema v1/,
    );
    expect(() => defineNotification({ type: 'x', schema, channels: {} })).toThrow(/channels is empty/);
    expect(() => defineNotification({ type: 'x', schema, channels: { 'sms-gateway': () => ({}) } as never })).toThrow(
      /"sms-gateway" is not a valid channel kind/,
    );
    expect(() => defineNotification({ type: 'x', schema, channels: { inApp: 'nope' } as never })).toThrow(
      /channels.inApp must be a function/,
    );
  });
});
