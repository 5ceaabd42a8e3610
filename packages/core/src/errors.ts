// Herald's error hierarchy. Every error carries a string `code`, and a `Symbol.for` brand so that
// `HeraldError.is(e)` holds even when two copies of @herald/core are installed side by side.

const brand = Symbol.for('herald.error');

/** Codes a `DeliveryError` may carry: one taxonomy shared by every channel. */
export type DeliveryErrorCode =
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'TIMEOUT'
  | 'INVALID_RECIPIENT'
  | 'INVALID_CONTENT'
  | 'UNAUTHORIZED'
  | 'CONFIGURATION';

/** Whether a delivery error code is worth retrying when the channel does not say. */
export const isRetryableDeliveryCode: Readonly<Record<DeliveryErrorCode, boolean>> = {
  RATE_LIMITED: true,
  UNAVAILABLE: true,
  TIMEOUT: true,
  INVALID_RECIPIENT: false,
  INVALID_CONTENT: false,
  UNAUTHORIZED: false,
  CONFIGURATION: false,
};

export interface HeraldErrorOptions {
  cause?: unknown;
}

export class HeraldError extends Error {
  readonly [brand] = true;
  readonly code: string;

  constructor(code: string, message: string, options: HeraldErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HeraldError';
    this.code = code;
  }

  /** True for any Herald error, from this install or another copy of @herald/core. */
  static is(error: unknown): error is HeraldError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[brand] === true;
  }
}

export interface ValidationIssue {
  /** Dotted path of the offending value, e.g. `payload.items.0.title`. */
  path: string;
  message: string;
  code?: string;
}

/** Bad input from the caller: every issue is listed with its path. */
export class ValidationError extends HeraldError {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], options: HeraldErrorOptions & { prefix?: string } = {}) {
    const lines = issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`);
    super('VALIDATION', `${options.prefix ?? 'Invalid input'}: ${lines.join('; ')}`, options);
    this.name = 'ValidationError';
    this.issues = issues;
  }

  static override is(error: unknown): error is ValidationError {
    return HeraldError.is(error) && error.code === 'VALIDATION';
  }
}

/** Herald was set up wrongly: an unsupported channel spec, a missing peer dependency, bad settings. */
export class ConfigurationError extends HeraldError {
  constructor(message: string, options: HeraldErrorOptions = {}) {
    super('CONFIGURATION', message, options);
    this.name = 'ConfigurationError';
  }
}

/** A store could not complete an operation (connection lost, timeout). Nothing was half-applied. */
export class StoreError extends HeraldError {
  constructor(message: string, options: HeraldErrorOptions = {}) {
    super('STORE', message, options);
    this.name = 'StoreError';
  }
}

export interface DeliveryErrorOptions extends HeraldErrorOptions {
  /** Overrides the default for the code (see `isRetryableDeliveryCode`). */
  retryable?: boolean;
  /** The provider asked us to wait this long before trying again. */
  retryAfterMs?: number;
  /** The provider's own error code, for logs and records. */
  providerCode?: string | number;
  /** The push token (or address) the error is about; an `INVALID_RECIPIENT` token is removed. */
  token?: string;
  /**
   * Push tokens found dead while this delivery failed for another reason (or all of them dead): core
   * removes each from the store, whatever the error's code.
   */
  invalidTokens?: readonly string[];
}

/** A channel failed to deliver. The dispatcher decides retries from these fields alone. */
export class DeliveryError extends HeraldError {
  declare readonly code: DeliveryErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly providerCode: string | number | undefined;
  readonly token: string | undefined;
  readonly invalidTokens: readonly string[] | undefined;

  constructor(code: DeliveryErrorCode, message: string, options: DeliveryErrorOptions = {}) {
    super(code, message, options);
    this.name = 'DeliveryError';
    this.retryable = options.retryable ?? isRetryableDeliveryCode[code];
    this.retryAfterMs = options.retryAfterMs;
    this.providerCode = options.providerCode;
    this.token = options.token;
    this.invalidTokens = options.invalidTokens;
  }

  static override is(error: unknown): error is DeliveryError {
    return HeraldError.is(error) && error.code in isRetryableDeliveryCode && 'retryable' in error;
  }
}

/** Turns anything a channel threw into a `DeliveryError`; unknown errors count as transient. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (DeliveryError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DeliveryError('UNAVAILABLE', `Channel threw: ${message}`, { cause: error });
}

/** Formats an error and its causes for a log line. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' <- caused by ');
}
