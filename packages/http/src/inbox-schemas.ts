// What the inbox API accepts. Bodies are strict: a misspelt field is an error rather than an update that
// silently does nothing. Query strings ignore parameters they do not know (cache busters, tracking tags) but
// refuse repeated ones. Checked by hand rather than with a validator library, so the package brings no
// second copy of one into the host's tree; the messages match what the API has always answered.

import type { InboxArchivedFilter, InboxStatusFilter, ValidationIssue } from '@herald/core';
import { HttpError } from './http-error';

/** Reads a value at `path`, returning it or `invalid` after recording why in `issues`. */
export interface Schema<T> {
  readonly isOptional?: boolean;
  read(value: unknown, path: readonly string[], issues: ValidationIssue[]): T | typeof invalid;
}

const invalid: unique symbol = Symbol('invalid');

function issue(issues: ValidationIssue[], path: readonly string[], message: string): typeof invalid {
  issues.push({ path: path.join('.'), message });
  return invalid;
}

/** The kind of a JSON value, as the messages name it. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return typeof value;
}

function expected(kind: string, value: unknown): string {
  return `Invalid input: expected ${kind}, received ${kindOf(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return kindOf(value) === 'object';
}

type Rule = readonly [test: (text: string) => boolean, message: string];

const minLength = (length: number, message: string): Rule => [(text) => text.length >= length, message];
const maxLength = (length: number, message: string): Rule => [(text) => text.length <= length, message];
const matches = (pattern: RegExp, message: string): Rule => [(text) => pattern.test(text), message];

/** A string passing every rule; each rule that fails is its own issue. */
function text(...rules: Rule[]): Schema<string> {
  return {
    read(value, path, issues) {
      if (typeof value !== 'string') return issue(issues, path, expected('string', value));
      let passes = true;
      for (const [test, message] of rules) {
        if (!test(value)) passes = issue(issues, path, message) !== invalid;
      }
      return passes ? value : invalid;
    },
  };
}

function oneOf<const T extends string>(options: readonly T[]): Schema<T> {
  const message = `Invalid option: expected one of ${options.map((option) => JSON.stringify(option)).join('|')}`;
  return {
    read: (value, path, issues) => (options.includes(value as T) ? (value as T) : issue(issues, path, message)),
  };
}

const boolean: Schema<boolean> = {
  read: (value, path, issues) => (typeof value === 'boolean' ? value : issue(issues, path, expected('boolean', value))),
};

type Fields<T> = { [K in keyof T]-?: Schema<T[K]> };

/** A field that may be left out (or given as `undefined`). */
function optional<T>(schema: Schema<T>): Schema<T | undefined> {
  return { isOptional: true, read: schema.read };
}

/**
 * An object of the given fields, read in order; then, when strict, each field the shape does not name is an
 * `Unknown field` issue. Otherwise unknown fields are dropped.
 */
function object<T extends object>(fields: Fields<T>, options: { strict: boolean }): Schema<T> {
  return {
    read(value, path, issues) {
      if (!isPlainObject(value)) return issue(issues, path, expected('object', value));
      const result: Record<string, unknown> = {};
      let passes = true;
      for (const [name, schema] of Object.entries(fields) as [string, Schema<unknown>][]) {
        const field = Object.hasOwn(value, name) ? value[name] : undefined;
        if (field === undefined && schema.isOptional) continue;
        const read = schema.read(field, [...path, name], issues);
        if (read === invalid) passes = false;
        else result[name] = read;
      }
      if (options.strict) {
        for (const name of Object.keys(value)) {
          if (!Object.hasOwn(fields, name)) passes = issue(issues, [...path, name], 'Unknown field') !== invalid;
        }
      }
      return passes ? (result as T) : invalid;
    },
  };
}

/** An object used as a map: every key must pass `key`, every value `item`. */
function record<V>(key: Schema<string>, item: Schema<V>): Schema<Record<string, V>> {
  return {
    read(value, path, issues) {
      if (!isPlainObject(value)) return issue(issues, path, expected('record', value));
      const result: Record<string, V> = {};
      let passes = true;
      for (const name of Object.keys(value)) {
        const keyIssues: ValidationIssue[] = [];
        if (key.read(name, [], keyIssues) === invalid) {
          passes = issue(issues, [...path, name], `Invalid name: ${keyIssues[0]?.message}`) !== invalid;
          continue;
        }
        const read = item.read(value[name], [...path, name], issues);
        if (read === invalid) passes = false;
        else result[name] = read;
      }
      return passes ? result : invalid;
    },
  };
}

/** A field that may also be `null` (to clear it). */
function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return {
    ...(schema.isOptional ? { isOptional: true } : {}),
    read: (value, path, issues) => (value === null ? null : schema.read(value, path, issues)),
  };
}

function arrayOf<T>(item: Schema<T>): Schema<T[]> {
  return {
    read(value, path, issues) {
      if (!Array.isArray(value)) return issue(issues, path, expected('array', value));
      const result: T[] = [];
      let passes = true;
      value.forEach((element, index) => {
        const read = item.read(element, [...path, String(index)], issues);
        if (read === invalid) passes = false;
        else result.push(read);
      });
      return passes ? result : invalid;
    },
  };
}

/** A JSON number that is a whole number from 0 up, as positions are. */
function position(message: string): Schema<number> {
  return {
    read: (value, path, issues) =>
      typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : issue(issues, path, message),
  };
}

/** A decimal string read as a number, then checked. */
function wholeNumber(pattern: RegExp, min: number, max: number, message: string): Schema<number> {
  const digits = text(matches(pattern, message));
  return {
    read(value, path, issues) {
      const read = digits.read(value, path, issues);
      if (read === invalid) return invalid;
      const number = Number(read);
      return number >= min && number <= max ? number : issue(issues, path, message);
    },
  };
}

// Names that would reach an object's prototype if a store copied them onto a plain object.
const reservedKeys = new Set(['__proto__', 'constructor', 'prototype']);

// Lengths and counts are Herald's preference limits, checked (with the merge) by herald.preferences.
const keySchema = text(minLength(1, 'Expected a non-empty name'), [(key) => !reservedKeys.has(key), 'Reserved name']);

const typeName = text(minLength(1, 'Expected a non-empty string'), maxLength(200, 'Expected at most 200 characters'));

export interface ListQuery {
  status?: InboxStatusFilter;
  archived?: InboxArchivedFilter;
  type?: string;
  limit?: number;
  cursor?: string;
}

export const listQuerySchema: Schema<ListQuery> = object<ListQuery>(
  {
    status: optional(oneOf(['read', 'unread', 'undelivered'])),
    archived: optional(oneOf(['exclude', 'include', 'only'])),
    type: optional(typeName),
    limit: optional(wholeNumber(/^[0-9]{1,4}$/, 1, 100, 'Expected a whole number from 1 to 100')),
    cursor: optional(
      text(minLength(1, 'Expected a non-empty string'), maxLength(2000, 'Expected at most 2000 characters')),
    ),
  },
  { strict: false },
);

/** A bulk change's watermark: only items at or below it change (default: the user's last position). */
const upToPosition = optional(position('Expected an integer ≥ 0'));

export interface ReadAllBody {
  type?: string;
  upToPosition?: number;
}

export const readAllBodySchema: Schema<ReadAllBody> = object<ReadAllBody>(
  { type: optional(typeName), upToPosition },
  { strict: true },
);

export interface SeenAllBody {
  upToPosition?: number;
}

export const seenAllBodySchema: Schema<SeenAllBody> = object<SeenAllBody>({ upToPosition }, { strict: true });

/** The body of a write that takes no fields: none at all, or `{}`. */
export const emptyBodySchema: Schema<Record<string, never>> = object<Record<string, never>>({}, { strict: true });

export interface DeviceBody {
  token: string;
  platform: string;
  /** Move a token another account registered; honoured only with the handler's `allowDeviceTakeOver`. */
  takeOver?: boolean;
}

export const deviceBodySchema: Schema<DeviceBody> = object<DeviceBody>(
  {
    token: text(minLength(1, 'Expected a non-empty string'), maxLength(4096, 'Expected at most 4096 characters')),
    platform: text(matches(/^[A-Za-z0-9_.-]{1,32}$/, 'Expected a platform name such as ios, android or web')),
    takeOver: optional(boolean),
  },
  { strict: true },
);

const switchesSchema = record(keySchema, boolean);

const clockTime = text(matches(/^([01]\d|2[0-3]):[0-5]\d$/, 'Expected a time "HH:MM" from 00:00 to 23:59'));

export interface QuietHoursBody {
  from: string;
  to: string;
  channels?: string[];
}

export interface PreferencesBody {
  channels?: Record<string, boolean>;
  types?: Record<string, Record<string, boolean>>;
  /** An IANA time zone (Herald checks it is one); `null` clears it. */
  timeZone?: string | null;
  /** `null` clears them. */
  quietHours?: QuietHoursBody | null;
}

export const preferencesBodySchema: Schema<PreferencesBody> = object<PreferencesBody>(
  {
    channels: optional(switchesSchema),
    types: optional(record(keySchema, switchesSchema)),
    timeZone: optional(
      nullable(text(minLength(1, 'Expected a non-empty string'), maxLength(64, 'Expected at most 64 characters'))),
    ),
    quietHours: optional(
      nullable(
        object<QuietHoursBody>(
          { from: clockTime, to: clockTime, channels: optional(arrayOf(keySchema)) },
          { strict: true },
        ),
      ),
    ),
  },
  { strict: true },
);

/** Reads with the schema or throws a 400 listing every issue with its path. */
export function parseOrThrow<T>(schema: Schema<T>, input: unknown, what: string): T {
  const issues: ValidationIssue[] = [];
  const result = schema.read(input, [], issues);
  if (result !== invalid && issues.length === 0) return result;
  const summary = issues.map((each) => `${each.path || '(root)'}: ${each.message}`).join('; ');
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
