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

  it('keeps sample payloads for previews, and none by default', () => {
    const inApp = ({ payload }: { payload: { id: string } }) => ({ title: 'Shipped', body: payload.id });
    const definition = defineNotification({
      type: 'order.shipped',
      schema,
      channels: { inApp },
      previews: { default: { id: 'o-1' }, 'long-id': { id: 'o-'.repeat(40) } },
    });
    expect(definition.previews).toEqual({ default: { id: 'o-1' }, 'long-id': { id: 'o-'.repeat(40) } });
    expect(Object.isFrozen(definition.previews)).toBe(true);
    expect(defineNotification({ type: 'order.sent', schema, channels: { inApp } }).previews).toEqual({});
  });

  it('rejects previews that are not a map of named payloads, naming the problem', () => {
    const channels = { inApp: () => ({ title: 't', body: 'b' }) };
    const attempt = (previews: unknown) => () =>
      defineNotification({ type: 'order.shipped', schema, channels, previews: previews as never });
    expect(attempt([{ id: 'o-1' }])).toThrow(
      'defineNotification("order.shipped"): previews must map preview names to sample payloads, e.g. { default: { … } }.',
    );
    expect(attempt(null)).toThrow(ConfigurationError);
    expect(attempt({ '': { id: 'o-1' } })).toThrow(
      'defineNotification("order.shipped"): previews: "" is not a valid preview name (letters, digits, ".", "_", ":" or "-").',
    );
    expect(attempt({ 'two words': { id: 'o-1' } })).toThrow(/"two words" is not a valid preview name/);
  });
});
