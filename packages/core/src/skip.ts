// `skip(reason)`: a content builder's way to say "nothing for this recipient" (Laravel's `via()`, Noticed's
// `if:`). The delivery is recorded skipped with reason code `skip` and the builder's words.

const brand = Symbol.for('herald.skip');

export interface Skip {
  readonly [brand]: true;
  readonly reason: string;
}

/** Returned from a content builder: this recipient gets nothing on this channel, and the record says why. */
export function skip(reason: string): Skip {
  return Object.freeze({ [brand]: true as const, reason: String(reason) });
}

export function isSkip(value: unknown): value is Skip {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
