// `html` escapes every interpolated value; `unsafeHtml` marks trusted markup that must pass as is.

const safe = Symbol.for('herald.safeHtml');

export interface SafeHtml {
  readonly [safe]: true;
  readonly value: string;
  toString(): string;
}

function makeSafe(value: string): SafeHtml {
  return { [safe]: true, value, toString: () => value };
}

function isSafeHtml(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[safe] === true;
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => escapes[char] as string);
}

function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (isSafeHtml(value)) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Marks a string as trusted HTML: it is inserted without escaping. */
export function unsafeHtml(markup: string): SafeHtml {
  return makeSafe(markup);
}

/** Schemes a link or image in an email may use; relative URLs (no scheme) pass too. */
const SAFE_URL_SCHEMES = new Set(['http', 'https', 'mailto', 'tel', 'cid']);
/** What an unsafe URL becomes: a link to nowhere that says why. */
export const UNSAFE_URL = 'about:invalid#herald-unsafe-url';

/**
 * A URL fit for `href` or `src`: http(s), mailto, tel, cid or relative; anything else (`javascript:`,
 * `data:`, `vbscript:`, …) becomes `about:invalid#herald-unsafe-url`. Browsers ignore whitespace and control
 * characters inside a scheme (`java\tscript:`), so those are dropped before the scheme is read.
 */
export function safeUrl(url: string): string {
  let compact = '';
  for (const char of String(url)) {
    const code = char.charCodeAt(0);
    if (code > 0x20 && code !== 0x7f) compact += char;
    if (compact.length > 32) break; // enough to read any scheme
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(compact)?.[1];
  return scheme === undefined || SAFE_URL_SCHEMES.has(scheme.toLowerCase()) ? String(url) : UNSAFE_URL;
}

/** The template text just before an interpolation opens the value of a URL attribute (`href="`, `src=`). */
const urlAttributeBefore = /\s(?:href|src|action|formaction|background|poster|xlink:href)\s*=\s*["']?$/i;

/**
 * Tagged template for email bodies. Interpolations are escaped; arrays are joined; nested `html`
 * results and `unsafeHtml(...)` pass through. `null`, `undefined` and `false` render as nothing.
 * A value interpolated as a URL attribute (`href="${url}"`, `src=${url}`) also goes through `safeUrl`, so a
 * payload's `javascript:` link never reaches an inbox.
 * The result is a `SafeHtml`: channels accept it wherever they take HTML, and `String(result)` gives the markup.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    const isUrl = !isSafeHtml(value) && urlAttributeBefore.test(strings[index] ?? '');
    out += (isUrl ? escapeHtml(safeUrl(String(value ?? ''))) : render(value)) + (strings[index + 1] ?? '');
  }
  return makeSafe(out);
}

/** The markup of a `SafeHtml` or a plain string (a plain string is taken as already-safe HTML). */
export function htmlToString(value: string | SafeHtml): string {
  return typeof value === 'string' ? value : value.value;
}

export { isSafeHtml };
