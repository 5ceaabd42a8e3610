// The headers of an upgrade request as a fetch `Headers`, read straight from Node's parsed headers: copying each
// upgrade's headers into a fetch `Headers` would cost every one of thousands of reconnecting sockets (and load
// undici into a process that may never use it). Immutable, as the headers of a received request are.

import type { IncomingHttpHeaders } from 'node:http';

function combined(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return typeof value === 'string' ? value : value.join(', ');
}

export class UpgradeHeaders implements Headers {
  readonly #source: IncomingHttpHeaders;

  constructor(source: IncomingHttpHeaders) {
    this.#source = source;
  }

  get(name: string): string | null {
    return combined(this.#source[name.toLowerCase()]);
  }

  has(name: string): boolean {
    return this.#source[name.toLowerCase()] !== undefined;
  }

  getSetCookie(): string[] {
    const value = this.#source['set-cookie'];
    return value === undefined ? [] : [...value];
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  /** Sorted by name, as fetch's `Headers` iterates; HTTP/2 pseudo-headers are left out. */
  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.#source).sort()) {
      const value = combined(this.#source[name]);
      if (value !== null && !name.startsWith(':')) yield [name, value];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'Headers';
  }

  append(_name: string, _value: string): void {
    throw new TypeError('The headers of an upgrade request cannot be changed');
  }

  set(_name: string, _value: string): void {
    throw new TypeError('The headers of an upgrade request cannot be changed');
  }

  delete(_name: string): void {
    throw new TypeError('The headers of an upgrade request cannot be changed');
  }
}
