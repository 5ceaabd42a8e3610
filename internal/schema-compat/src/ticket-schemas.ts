// One payload, written in each Standard Schema v1 validator Herald names: a title of at least three characters, a
// count that defaults to 1 (so the input type differs from the output type), and order lines.
import { type } from 'arktype';
import * as v from 'valibot';
import { z } from 'zod';
import { z as zod3v4 } from 'zod3/v4';

export const zod4Schema = z.object({
  title: z.string().min(3),
  count: z.number().default(1),
  lines: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })),
});

export const zod3v4Schema = zod3v4.object({
  title: zod3v4.string().min(3),
  count: zod3v4.number().default(1),
  lines: zod3v4.array(zod3v4.object({ sku: zod3v4.string(), qty: zod3v4.number().int().min(1) })),
});

export const valibotSchema = v.object({
  title: v.pipe(v.string(), v.minLength(3)),
  count: v.optional(v.number(), 1),
  lines: v.array(v.object({ sku: v.string(), qty: v.pipe(v.number(), v.integer(), v.minValue(1)) })),
});

export const arktypeSchema = type({
  title: 'string >= 3',
  count: 'number = 1',
  lines: type({ sku: 'string', qty: 'number.integer >= 1' }).array(),
});

/** Each validator's schema by a name for test titles. */
export const ticketSchemas = {
  'zod 4': zod4Schema,
  "zod 3.25's zod/v4": zod3v4Schema,
  valibot: valibotSchema,
  arktype: arktypeSchema,
} as const;
