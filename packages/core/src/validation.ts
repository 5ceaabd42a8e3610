// Turns schema issues and hand checks into ValidationErrors whose issues name the offending path.

import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ValidationError, type ValidationIssue } from './errors';

export function pathOf(prefix: string, path: readonly (PropertyKey | StandardSchemaV1.PathSegment)[]): string {
  const parts = [prefix];
  for (const segment of path) parts.push(String(typeof segment === 'object' ? segment.key : segment));
  return parts.filter((part) => part !== '').join('.');
}

/** Standard Schema issues as validation issues under `prefix` (`payload.items.0.title`). */
export function schemaIssues(prefix: string, issues: readonly StandardSchemaV1.Issue[]): ValidationIssue[] {
  return issues.map((issue) => {
    const code = (issue as { code?: unknown }).code;
    return {
      path: pathOf(prefix, issue.path ?? []),
      message: issue.message,
      ...(typeof code === 'string' ? { code } : {}),
    };
  });
}

/** Validates with any Standard Schema v1 validator; the schema's output on success, every issue otherwise. */
export async function validateWithSchema(
  schema: StandardSchemaV1,
  value: unknown,
  prefix: string,
  errorPrefix: string,
): Promise<unknown> {
  const result = await schema['~standard'].validate(value);
  if (result.issues) throw new ValidationError(schemaIssues(prefix, result.issues), { prefix: errorPrefix });
  return result.value;
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
