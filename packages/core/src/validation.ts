// Turns zod issues and hand checks into ValidationErrors whose issues name the offending path.

import { ValidationError, type ValidationIssue } from './errors';

export function pathOf(prefix: string, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map((key) => String(key))].filter((part) => part !== '').join('.');
}

interface SchemaIssues {
  issues: readonly { path: readonly PropertyKey[]; message: string; code?: string }[];
}

export function zodIssues(prefix: string, error: SchemaIssues): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: pathOf(prefix, issue.path),
    message: issue.message,
    ...(issue.code === undefined ? {} : { code: issue.code }),
  }));
}

export function assertNonEmptyString(value: unknown, path: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError([{ path, message: 'Expected a non-empty string' }]);
  }
}

export function assertIdList(value: unknown, path: string): asserts value is string[] {
  if (!Array.isArray(value)) throw new ValidationError([{ path, message: 'Expected an array of ids' }]);
  const issues: ValidationIssue[] = [];
  value.forEach((id, index) => {
    if (typeof id !== 'string' || id.length === 0)
      issues.push({ path: `${path}.${index}`, message: 'Expected a non-empty string' });
  });
  if (issues.length > 0) throw new ValidationError(issues);
}
