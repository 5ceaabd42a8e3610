// Address handling: the configured sender is parsed once; recipient addresses are checked before they
// reach an SMTP envelope, where a line break would let a value inject commands or headers.

export type EmailAddress = string | { name: string; address: string };

export interface ParsedAddress {
  name: string;
  address: string;
  domain: string;
}

/** CR, LF or NUL: never allowed in a header value or an address. */
export const lineBreak = /[\r\n\0]/;

const addressPattern = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;

export function isPlausibleAddress(address: string): boolean {
  return addressPattern.test(address) && !lineBreak.test(address);
}

/**
 * Parses `"Name" <user@example.com>`, `Name <user@example.com>`, `user@example.com` or `{ name, address }`.
 * Returns a message saying what is wrong instead when it cannot be used as a sender.
 */
export function parseAddress(value: EmailAddress): ParsedAddress | string {
  let name: string;
  let address: string;
  if (typeof value === 'string') {
    if (lineBreak.test(value)) return 'contains a line break or NUL';
    const bracketed = /^\s*(.*?)\s*<([^<>]*)>\s*$/.exec(value);
    if (bracketed) {
      name = (bracketed[1] ?? '').replace(/^"(.*)"$/, '$1');
      address = (bracketed[2] ?? '').trim();
    } else {
      name = '';
      address = value.trim();
    }
  } else if (typeof value === 'object' && value !== null) {
    if (typeof value.address !== 'string') return 'needs an address';
    name = typeof value.name === 'string' ? value.name : '';
    address = value.address.trim();
    if (lineBreak.test(name)) return 'has a name with a line break or NUL';
  } else {
    return 'must be an address string or { name, address }';
  }
  if (!isPlausibleAddress(address)) return `has no usable address (got ${JSON.stringify(address)})`;
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return { name, address, domain };
}

/** A display name safe to put in a header: control characters become spaces. */
export function cleanDisplayName(name: string | undefined): string {
  if (!name) return '';
  return (
    name
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes.
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/**
 * The Message-ID for a delivery: `<deliveryId@domain>`. Stable across retries, so a provider that
 * dedupes on Message-ID drops a repeat of a send whose reply was lost. Characters that may not appear
 * in a Message-ID are escaped as `=XX` (and so is `=`, to keep the mapping one-to-one).
 */
export function messageIdFor(deliveryId: string, domain: string): string {
  const local = deliveryId.replace(
    /[^A-Za-z0-9!#$%&'*+/?^_`{|}~.-]/g,
    (char) => `=${char.codePointAt(0)?.toString(16).toUpperCase() ?? ''}`,
  );
  return `<${local}@${domain}>`;
}
