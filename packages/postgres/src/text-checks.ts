// What PostgreSQL cannot store in a text column and JavaScript strings can hold: the NUL character (the server
// refuses the whole statement) and lone UTF-16 surrogates (the driver silently turns them into U+FFFD). Writes are
// refused up front with the path of each such field, before anything is written; reads treat such ids as unknown.
// JSON columns (payloads, item data, errors) keep both, escaped, so only plain text fields are checked.

import { ValidationError, type ValidationIssue } from '@herald/core/spec';

const MAX_ISSUES = 100;
const NUL_MESSAGE = 'Contains the NUL character (U+0000), which PostgreSQL text cannot hold';
const SURROGATE_MESSAGE = 'Contains a lone UTF-16 surrogate, which PostgreSQL text cannot hold';

/** Why a string cannot be stored as text, or undefined when it can. One pass over its code units. */
export function textProblem(value: string): string | undefined {
  for (let index = 0; index < value.length; index++) {
    const unit = value.charCodeAt(index);
    if (unit === 0) return NUL_MESSAGE;
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = value.charCodeAt(index + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) index += 1;
    else return SURROGATE_MESSAGE;
  }
  return undefined;
}

/** Whether a value (an id of a read) could be stored at all: one that could not matches nothing. */
export function isStorableText(value: string): boolean {
  return textProblem(value) === undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects the issues of `fields` of one object under `path`. */
function collect(value: unknown, path: string, fields: readonly string[], issues: ValidationIssue[]): void {
  if (!isObject(value)) return;
  for (const field of fields) {
    const text = value[field];
    if (typeof text !== 'string') continue;
    const problem = textProblem(text);
    if (problem !== undefined && issues.length < MAX_ISSUES)
      issues.push({ path: `${path}.${field}`, message: problem });
  }
}

/** Refuses a batch (`items`, `records`) in which any element has an unstorable text field. */
export function checkBatchText(input: unknown, path: string, fields: readonly string[], what: string): void {
  if (!Array.isArray(input)) return;
  const issues: ValidationIssue[] = [];
  for (let index = 0; index < input.length; index++) collect(input[index], `${path}.${index}`, fields, issues);
  if (issues.length > 0) throw new ValidationError(issues, { prefix: `Invalid ${what}` });
}

/** Refuses one object (`device`, `record`, `patch`) with an unstorable text field. */
export function checkObjectText(input: unknown, path: string, fields: readonly string[], what: string): void {
  const issues: ValidationIssue[] = [];
  collect(input, path, fields, issues);
  if (issues.length > 0) throw new ValidationError(issues, { prefix: `Invalid ${what}` });
}

/** Refuses a single text argument (`userId`, `key`). */
export function checkArgumentText(value: unknown, path: string): void {
  if (typeof value !== 'string') return;
  const problem = textProblem(value);
  if (problem !== undefined) throw new ValidationError([{ path, message: problem }]);
}
