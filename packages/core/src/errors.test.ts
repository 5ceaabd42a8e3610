import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  DeliveryError,
  deliveryFailureCodes,
  HeraldError,
  heraldErrorCodes,
  isDeliveryFailureCode,
  StoreError,
  ValidationError,
} from './errors';

describe('error classes', () => {
  it('recognises Herald errors across duplicate installs by their brand', () => {
    const foreign = Object.assign(new Error('from another copy'), {
      [Symbol.for('herald.error')]: 'StoreError',
      code: 'STORE',
    });
    expect(HeraldError.is(foreign)).toBe(true);
    expect(StoreError.is(foreign)).toBe(true);
    expect(ValidationError.is(foreign)).toBe(false);
    expect(HeraldError.is(new Error('plain'))).toBe(false);
    expect(HeraldError.is(null)).toBe(false);
    expect(HeraldError.is('STORE')).toBe(false);
  });

  it("answers each subclass's is() for its own instances only", () => {
    const errors = {
      HeraldError: new HeraldError('CLOSED', 'closed'),
      ValidationError: new ValidationError([]),
      ConfigurationError: new ConfigurationError('bad setup'),
      StoreError: new StoreError('down'),
      DeliveryError: new DeliveryError('TIMEOUT', 'slow'),
    };
    const checks = {
      ValidationError: ValidationError.is,
      ConfigurationError: ConfigurationError.is,
      StoreError: StoreError.is,
      DeliveryError: DeliveryError.is,
    };
    for (const [name, error] of Object.entries(errors)) {
      expect(HeraldError.is(error)).toBe(true);
      for (const [checkName, check] of Object.entries(checks)) expect(check(error)).toBe(name === checkName);
    }
    expect(StoreError.is(new ValidationError([]))).toBe(false);
    // The code alone is not the class: a DeliveryError with code CONFIGURATION is no ConfigurationError.
    expect(ConfigurationError.is(new DeliveryError('CONFIGURATION', 'no channel'))).toBe(false);
  });

  it('are all exported to hosts from the package entry', async () => {
    // Hosts branch on these (a DispatchIncompleteError is retried with the same idempotencyKey), so each class
    // errors.ts defines must be reachable from '@herald/core' itself.
    const entry: Record<string, unknown> = await import('./index');
    const classes = Object.entries(await import('./errors')).filter(
      ([, value]) => value === HeraldError || (typeof value === 'function' && value.prototype instanceof HeraldError),
    );
    expect(classes.map(([name]) => name)).toContain('DispatchIncompleteError');
    for (const [name, value] of classes) expect(entry[name], name).toBe(value);
  });

  it('keeps delivery error fields and retry defaults', () => {
    const error = new DeliveryError('RATE_LIMITED', 'slow down', { retryAfterMs: 1_000, providerCode: 429 });
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 1_000, providerCode: 429, code: 'RATE_LIMITED' });
    expect(new DeliveryError('INVALID_CONTENT', 'bad').retryable).toBe(false);
    expect(new DeliveryError('INVALID_CONTENT', 'bad', { retryable: true }).retryable).toBe(true);
  });

  it('recognises delivery failure codes read back from elsewhere', () => {
    for (const code of deliveryFailureCodes) expect(isDeliveryFailureCode(code)).toBe(true);
    expect(isDeliveryFailureCode('VALIDATION')).toBe(false);
    expect(isDeliveryFailureCode('EENVELOPE')).toBe(false);
    expect(isDeliveryFailureCode(42)).toBe(false);
  });
});

describe('the code table', () => {
  const packagesDir = join(import.meta.dirname, '..', '..');

  function sources(dir: string): string[] {
    const files: string[] = [];
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules' || entry === 'dist') continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) files.push(...sources(path));
      else if (/\.ts$/.test(entry) && !/\.test(-d)?\.ts$/.test(entry) && !entry.startsWith('test-')) files.push(path);
    }
    return files;
  }

  // The HTTP inbox API's error bodies have a table of their own (InboxErrorCode).
  const text = sources(packagesDir)
    .filter((file) => !file.endsWith(join('core', 'src', 'errors.ts')) && !file.includes(join('http', 'src')))
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');

  it('lists every code the packages put on an error or a failure', () => {
    // The types hold this too (HeraldError takes a HeraldErrorCode, DeliveryFailure.code is typed); the scan
    // guards code that casts. Provider and protocol codes (nodemailer, HTTP bodies, WebSocket frames) are other tables.
    const used = new Set<string>();
    const patterns = [/new (?:HeraldError|DeliveryError)\(\s*'([A-Z_]+)'/g, /\berror: \{\s*code: '([A-Z][A-Z_]+)'/g];
    for (const pattern of patterns) for (const match of text.matchAll(pattern)) used.add(match[1] as string);
    expect(used.size).toBeGreaterThan(5);
    for (const code of used) expect(heraldErrorCodes, `code ${code}`).toHaveProperty(code);
  });

  it('has no code nothing uses', () => {
    // A subclass's own code is used wherever the subclass is thrown.
    const owners: Record<string, string> = {
      VALIDATION: 'new ValidationError(',
      CONFIGURATION: 'new ConfigurationError(',
      STORE: 'new StoreError(',
      DISPATCH_INCOMPLETE: 'new DispatchIncompleteError(',
    };
    for (const code of Object.keys(heraldErrorCodes)) {
      const isUsed = text.includes(`'${code}'`) || (owners[code] !== undefined && text.includes(owners[code]));
      expect(isUsed, `${code} is in the table but no package source uses it`).toBe(true);
    }
  });
});
