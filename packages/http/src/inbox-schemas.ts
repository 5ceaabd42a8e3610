// What the inbox API accepts, as zod schemas. Bodies are strict: a misspelt field is an error rather
// than an update that silently does nothing. Query strings ignore parameters they do not know
// (cache busters, tracking tags) but refuse repeated ones.

import type { ValidationIssue } from '@herald/core';
import { z } from 'zod';
import { HttpError } from './http-error';

// Names that would reach an object's prototype if a store copied them onto a plain object.
const reservedKeys = new Set(['__proto__', 'constructor', 'prototype']);

// Lengths and counts are Herald's preference limits, checked (with the merge) by herald.preferences.
const keySchema = z
  .string()
  .min(1, 'Expected a non-empty name')
  .refine((key) => !reservedKeys.has(key), 'Reserved name');

export const listQuerySchema = z.object({
  status: z.enum(['read', 'unread', 'undelivered']).optional(),
  type: z.string().min(1, 'Expected a non-empty string').max(200, 'Expected at most 200 characters').optional(),
  limit: z
    .string()
    .regex(/^[0-9]{1,4}$/, 'Expected a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().min(1, 'Expected a whole number from 1 to 100').max(100, 'Expected a whole number from 1 to 100'))
    .optional(),
  cursor: z.string().min(1, 'Expected a non-empty string').max(2000, 'Expected at most 2000 characters').optional(),
  archived: z.enum(['exclude', 'include', 'only']).optional(),
});

/** A bulk change's watermark: only items at or below it change (default: the user's last position). */
const upToPositionSchema = z
  .number('Expected an integer ≥ 0')
  .int('Expected an integer ≥ 0')
  .min(0, 'Expected an integer ≥ 0')
  .max(Number.MAX_SAFE_INTEGER, 'Expected an integer ≥ 0')
  .optional();

export const readAllBodySchema = z.strictObject({
  type: z.string().min(1, 'Expected a non-empty string').max(200, 'Expected at most 200 characters').optional(),
  upToPosition: upToPositionSchema,
});

/** The body of a write that takes no fields: none at all, or `{}`. */
export const emptyBodySchema = z.strictObject({});

export const seenAllBodySchema = z.strictObject({ upToPosition: upToPositionSchema });

export const deviceBodySchema = z.strictObject({
  token: z.string().min(1, 'Expected a non-empty string').max(4096, 'Expected at most 4096 characters'),
  platform: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'Expected a platform name such as ios, android or web'),
  /** Move a token another account registered; honoured only with the handler's `allowDeviceTakeOver`. */
  takeOver: z.boolean().optional(),
});

const switchesSchema = z.record(keySchema, z.boolean());

export const preferencesBodySchema = z.strictObject({
  channels: switchesSchema.optional(),
  types: z.record(keySchema, switchesSchema).optional(),
});

interface SchemaIssue {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  keys?: readonly string[];
  issues?: readonly { message: string }[];
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.map((key) => String(key)).join('.');
}

/** Zod issues as `{ path, message }`, with one issue per unknown field and the reason a record key failed. */
export function toIssues(error: { issues: readonly SchemaIssue[] }): ValidationIssue[] {
  return error.issues.flatMap((issue): ValidationIssue[] => {
    if (issue.code === 'unrecognized_keys' && issue.keys !== undefined) {
      return issue.keys.map((key) => ({ path: joinPath([...issue.path, key]), message: 'Unknown field' }));
    }
    const inner = issue.code === 'invalid_key' ? issue.issues?.[0]?.message : undefined;
    return [{ path: joinPath(issue.path), message: inner === undefined ? issue.message : `Invalid name: ${inner}` }];
  });
}

/** Parses with the schema or throws a 400 listing every issue with its path. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = toIssues(result.error);
  const summary = issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ');
  throw new HttpError(400, 'VALIDATION', `Invalid ${what}: ${summary}`, { issues });
}

/** The query string as an object, with a 400 for any parameter given more than once. */
export function queryObject(params: URLSearchParams, known: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  const issues: ValidationIssue[] = [];
  for (const name of known) {
    const values = params.getAll(name);
    if (values.length > 1) issues.push({ path: name, message: 'Expected a single value' });
    else if (values[0] !== undefined) result[name] = values[0];
  }
  if (issues.length > 0) {
    throw new HttpError(
      400,
      'VALIDATION',
      `Invalid query: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      {
        issues,
      },
    );
  }
  return result;
}
