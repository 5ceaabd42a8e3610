// How the kit reports bad input: a ValidationError whose issues name each offending path, built only when
// something is wrong so the checks cost nothing extra on the write path.

import { ValidationError, type ValidationIssue } from '../errors';
import { copyPlain } from './copy-plain';
import { storeLimits } from './store-limits';

export function invalid(path: string, message: string): ValidationError {
  return new ValidationError([{ path, message }]);
}

export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isOptionalId(value: unknown): boolean {
  return value === undefined || isNonEmptyString(value);
}

export function isOptionalText(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

/**
 * A batch element that passes its fast check, as an object; otherwise its issues are reported (a non-object at
 * `path` itself) and `undefined` is returned.
 */
export function wellFormedElement(
  value: unknown,
  path: string,
  what: string,
  issues: IssueList,
  isWellFormed: (element: Record<string, unknown>) => boolean,
  report: (element: Record<string, unknown>) => void,
): Record<string, unknown> | undefined {
  if (!isObject(value)) {
    issues.add(path, `Expected ${what} object`);
    return undefined;
  }
  if (isWellFormed(value)) return value;
  report(value);
  return undefined;
}

/** An optional options object with one optional non-empty string field (`options.<field>`). */
export function optionalOption(options: unknown, field: string): string | undefined {
  if (options === undefined) return undefined;
  if (!isObject(options)) throw invalid('options', 'Expected an object');
  const value = options[field];
  if (value === undefined) return undefined;
  if (!isNonEmptyString(value)) throw invalid(`options.${field}`, 'Expected a non-empty string');
  return value;
}

/** Issues of one call, capped at `storeLimits.maxIssues` listed ones so a huge bad batch makes a readable error. */
export class IssueList {
  readonly #issues: ValidationIssue[] = [];
  #more = 0;

  get isEmpty(): boolean {
    return this.#issues.length === 0;
  }

  add(path: string, message: string): void {
    if (this.#issues.length < storeLimits.maxIssues) this.#issues.push({ path, message });
    else this.#more += 1;
  }

  /** Throws the ValidationError when there is any issue. */
  throwIfAny(prefix: string, path: string): void {
    if (this.#issues.length === 0) return;
    const issues = [...this.#issues];
    if (this.#more > 0) issues.push({ path, message: `and ${this.#more} more issues` });
    throw new ValidationError(issues, { prefix });
  }
}

/** A deep copy the store can keep, or an issue when the value holds something a copy cannot carry (functions, symbols). */
export function plainCopy<T>(value: T, path: string, issues: IssueList): T | undefined {
  try {
    return copyPlain(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    issues.add(path, `Expected plain data (JSON-like values): ${reason}`);
    return undefined;
  }
}
