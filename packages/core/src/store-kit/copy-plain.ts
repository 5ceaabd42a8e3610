// Deep copies of the plain data stores keep (inbox item `data`, notification payloads, preferences): JSON-like trees
// are copied by hand, which is an order of magnitude faster than `structuredClone` on the small objects a store
// copies thousands of times a second; anything else goes to `structuredClone`, so the result is always its result
// (a Date stays a Date, a function still throws). The one difference: a value reached twice in the tree is copied
// twice (structuredClone keeps the sharing) — invisible to any store that serialises.

/** Deeper than this, or circular: left to `structuredClone`. */
const MAX_FAST_DEPTH = 32;
const NOT_PLAIN: unique symbol = Symbol('not plain');

function copyTree(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) {
    return typeof value === 'function' || typeof value === 'symbol' ? NOT_PLAIN : value;
  }
  if (depth > MAX_FAST_DEPTH) return NOT_PLAIN;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (let index = 0; index < value.length; index++) {
      if (!(index in value)) return NOT_PLAIN; // a hole: structuredClone keeps it
      const element = copyTree(value[index], depth + 1);
      if (element === NOT_PLAIN) return NOT_PLAIN;
      copy.push(element);
    }
    return copy;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return NOT_PLAIN;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // Assigning it would set the copy's prototype; structuredClone makes it an own property.
    if (key === '__proto__') return NOT_PLAIN;
    const element = copyTree((value as Record<string, unknown>)[key], depth + 1);
    if (element === NOT_PLAIN) return NOT_PLAIN;
    copy[key] = element;
  }
  return copy;
}

/** `structuredClone(value)`, fast for plain JSON-like data; throws what `structuredClone` throws. */
export function copyPlain<T>(value: T): T {
  const copy = copyTree(value, 0);
  return copy === NOT_PLAIN ? structuredClone(value) : (copy as T);
}
