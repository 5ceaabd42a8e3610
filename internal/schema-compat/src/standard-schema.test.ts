// A payload checked by each Standard Schema v1 validator Herald names: a valid one reaches the content builders as
// the schema's output (its default applied), a bad one is a ValidationError listing every issue at its dotted path.
import { createHerald, defineNotification, ValidationError } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { createTestChannel, rejectionOf } from '@herald/testing';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expect, it } from 'vitest';
import { ticketSchemas } from './ticket-schemas';

function setup(schema: StandardSchemaV1) {
  const inApp = createTestChannel('inApp');
  const herald = createHerald({ store: new MemoryStore(), channels: [inApp] });
  const shipped = defineNotification({
    type: 'order.shipped',
    schema: schema as (typeof ticketSchemas)['zod 4'],
    channels: {
      inApp: ({ payload }) => ({ title: payload.title, body: `${payload.count} × ${payload.lines.length} lines` }),
    },
  });
  return { herald, inApp, shipped };
}

describe.each(Object.entries(ticketSchemas))('a payload schema written with %s', (_name, schema) => {
  it('hands the content builders the validated output, defaults applied', async () => {
    const { herald, shipped } = setup(schema);
    const result = await herald.notify(shipped, {
      to: 'ana',
      payload: { title: 'Printer', lines: [{ sku: 'A-1', qty: 2 }] },
    });
    expect(await result.settled).toMatchObject({ sent: 1, failed: 0 });
    const { items } = await herald.inbox.list('ana');
    expect(items.map((item) => [item.title, item.body])).toEqual([['Printer', '1 × 1 lines']]);
    await herald.close();
  });

  it('refuses a bad payload with a ValidationError naming every issue by its dotted path', async () => {
    const { herald, inApp, shipped } = setup(schema);
    const error = await rejectionOf(
      herald.notify(shipped, {
        to: 'ana',
        payload: {
          title: 'x',
          count: 'many',
          lines: [
            { sku: 'A-1', qty: 0 },
            { sku: 5, qty: 1 },
          ],
        } as never,
      }),
      ValidationError,
    );
    const paths = error.issues.map((issue) => issue.path).sort();
    expect(paths).toEqual(['payload.count', 'payload.lines.0.qty', 'payload.lines.1.sku', 'payload.title']);
    for (const issue of error.issues) {
      expect(typeof issue.message).toBe('string');
      expect(issue.message.length).toBeGreaterThan(0);
      expect(error.message).toContain(`${issue.path}: ${issue.message}`);
    }
    expect(inApp.calls).toEqual([]);
    expect((await herald.inbox.list('ana')).items).toEqual([]);
    await herald.close();
  });

  it('names a missing field by its path too', async () => {
    const { herald, shipped } = setup(schema);
    const error = await rejectionOf(
      herald.notify(shipped, { to: 'ana', payload: { title: 'Printer' } as never }),
      ValidationError,
    );
    expect(error.issues.map((issue) => issue.path)).toEqual(['payload.lines']);
    await herald.close();
  });
});
