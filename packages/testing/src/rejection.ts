// Awaits a call that must fail and hands back its error, typed, for assertions on its fields.

/** An error class with Herald's brand check, such as `DeliveryError` or `ValidationError`. */
export interface ErrorClass<E> {
  readonly name: string;
  is(error: unknown): error is E;
}

/**
 * What `call` rejected with, once checked to be an `errorClass` (through its `is()`, so it holds across duplicate
 * installs). Fails, saying what happened instead, when the call resolved or rejected with anything else.
 *
 * ```ts
 * const error = await rejectionOf(channel.send(request), DeliveryError);
 * expect(error).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
 * ```
 */
export async function rejectionOf<E>(call: Promise<unknown>, errorClass: ErrorClass<E>): Promise<E> {
  const outcome = await call.then(
    (value: unknown) => ({ rejected: false as const, value }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  if (!outcome.rejected) {
    throw new Error(`Expected a ${errorClass.name}, but the call resolved with ${summarize(outcome.value)}.`);
  }
  if (!errorClass.is(outcome.error)) {
    throw new Error(`Expected a ${errorClass.name}, but the call rejected with ${summarize(outcome.error)}.`, {
      cause: outcome.error,
    });
  }
  return outcome.error;
}

function summarize(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
