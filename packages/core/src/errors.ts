// Herald's error hierarchy and the one table of every code it uses. Every error carries a `code` from the
// table, and a `Symbol.for` brand so that `HeraldError.is(e)` (and each subclass's own `is`) holds even when
// two copies of @herald/core are installed side by side.

const brand = Symbol.for('herald.error');

/**
 * Every code Herald puts on an error or a delivery failure, with what it means. Callers branch on codes;
 * channels pick theirs from the delivery taxonomy (the first seven), and the dispatcher decides retries from them.
 */
export const heraldErrorCodes = {
  // The delivery taxonomy, shared by every channel (DeliveryError).
  RATE_LIMITED: 'The provider throttled the send; retried after its wait.',
  UNAVAILABLE: 'The provider or the network failed transiently; retried.',
  TIMEOUT: 'The attempt did not finish within its timeout; retried.',
  INVALID_RECIPIENT: 'The address or token is wrong or dead; never retried (a dead push token is removed).',
  INVALID_CONTENT: 'The provider refused the content, or a content builder threw; never retried.',
  UNAUTHORIZED: 'The provider refused the credentials; never retried.',
  CONFIGURATION: 'Herald or a channel is set up wrongly; never retried (ConfigurationError when thrown).',
  // Errors thrown to callers.
  VALIDATION: 'Bad input from the caller; every issue is listed with its path (ValidationError).',
  STORE: 'The store could not complete an operation (StoreError).',
  CLOSED: 'The instance (Herald, a runner) was closed and refuses new work.',
  NOT_STARTED: 'A runner was used before createHerald started it.',
  DISPATCH_INCOMPLETE:
    'notify() recorded the notification but could not finish dispatching it; the outbox relay completes it, or a retry with the same idempotency key resumes it (DispatchIncompleteError).',
  // Codes only found on delivery records and reports.
  SHUTDOWN: 'The delivery was dropped because its runner closed first (in-process runner).',
  MISSING_RECORD: 'The delivery record was gone when the delivery ran; nothing was sent.',
  JOB_FAILED: 'A durable runner failed the job outside Herald (stalled too often, lock lost).',
  UNKNOWN: 'A failure that named no code.',
} as const;

export type HeraldErrorCode = keyof typeof heraldErrorCodes;

/** Codes a `DeliveryError` may carry: one taxonomy shared by every channel. */
export type DeliveryErrorCode =
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'TIMEOUT'
  | 'INVALID_RECIPIENT'
  | 'INVALID_CONTENT'
  | 'UNAUTHORIZED'
  | 'CONFIGURATION';

/** Codes a delivery record's `error` may carry: the delivery taxonomy and the codes the runners add. */
export const deliveryFailureCodes = [
  'RATE_LIMITED',
  'UNAVAILABLE',
  'TIMEOUT',
  'INVALID_RECIPIENT',
  'INVALID_CONTENT',
  'UNAUTHORIZED',
  'CONFIGURATION',
  'SHUTDOWN',
  'MISSING_RECORD',
  'JOB_FAILED',
  'UNKNOWN',
] as const satisfies readonly HeraldErrorCode[];

export type DeliveryFailureCode = (typeof deliveryFailureCodes)[number];

/** Whether a string read back from elsewhere (a job's failure text, a stored record) is a delivery failure code. */
export function isDeliveryFailureCode(code: unknown): code is DeliveryFailureCode {
  return typeof code === 'string' && (deliveryFailureCodes as readonly string[]).includes(code);
}

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

type ErrorKind =
  | 'HeraldError'
  | 'ValidationError'
  | 'ConfigurationError'
  | 'StoreError'
  | 'DeliveryError'
  | 'DispatchIncompleteError';

function kindOf(error: unknown): ErrorKind | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<symbol, unknown>)[brand];
  return typeof value === 'string' ? (value as ErrorKind) : undefined;
}

export class HeraldError extends Error {
  /** Which class made the error; what each class's `is()` reads, across duplicate installs. */
  readonly [brand]: ErrorKind = 'HeraldError';
  readonly code: HeraldErrorCode;

  constructor(code: HeraldErrorCode, message: string, options: HeraldErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HeraldError';
    this.code = code;
  }

  /** True for any Herald error, from this install or another copy of @herald/core. */
  static is(error: unknown): error is HeraldError {
    return kindOf(error) !== undefined;
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
  override readonly [brand]: ErrorKind = 'ValidationError';
  declare readonly code: 'VALIDATION';
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], options: HeraldErrorOptions & { prefix?: string } = {}) {
    const lines = issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`);
    super('VALIDATION', `${options.prefix ?? 'Invalid input'}: ${lines.join('; ')}`, options);
    this.name = 'ValidationError';
    this.issues = issues;
  }

  static override is(error: unknown): error is ValidationError {
    return kindOf(error) === 'ValidationError';
  }
}

/** Herald was set up wrongly: an unsupported spec, a missing peer dependency, bad settings. */
export class ConfigurationError extends HeraldError {
  override readonly [brand]: ErrorKind = 'ConfigurationError';
  declare readonly code: 'CONFIGURATION';

  constructor(message: string, options: HeraldErrorOptions = {}) {
    super('CONFIGURATION', message, options);
    this.name = 'ConfigurationError';
  }

  static override is(error: unknown): error is ConfigurationError {
    return kindOf(error) === 'ConfigurationError';
  }
}

/** A store could not complete an operation (connection lost, timeout). */
export class StoreError extends HeraldError {
  override readonly [brand]: ErrorKind = 'StoreError';
  declare readonly code: 'STORE';

  constructor(message: string, options: HeraldErrorOptions = {}) {
    super('STORE', message, options);
    this.name = 'StoreError';
  }

  static override is(error: unknown): error is StoreError {
    return kindOf(error) === 'StoreError';
  }
}

/**
 * notify() wrote the notification (it is in the outbox) but could not finish its dispatch: a store call failed or
 * timed out after that first write. Nothing is lost or doubled: the outbox relay completes it once its lease
 * ends, and a retry with the same idempotency key resumes it at once. Do not retry without the key — that would be
 * a second notification.
 */
export class DispatchIncompleteError extends HeraldError {
  override readonly [brand]: ErrorKind = 'DispatchIncompleteError';
  declare readonly code: 'DISPATCH_INCOMPLETE';
  readonly notificationId: string;

  constructor(notificationId: string, cause: unknown) {
    const reason = typeof cause === 'string' ? cause : describeError(cause);
    super(
      'DISPATCH_INCOMPLETE',
      `Notification ${notificationId} is recorded but its dispatch did not finish (${reason}). ` +
        'The outbox relay completes it; a retry with the same idempotencyKey resumes it now.',
      typeof cause === 'string' ? {} : { cause },
    );
    this.name = 'DispatchIncompleteError';
    this.notificationId = notificationId;
  }

  static override is(error: unknown): error is DispatchIncompleteError {
    return kindOf(error) === 'DispatchIncompleteError';
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
  override readonly [brand]: ErrorKind = 'DeliveryError';
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
    return kindOf(error) === 'DeliveryError';
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
