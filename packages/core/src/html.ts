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

/**
 * Tagged template for email bodies. Interpolations are escaped; arrays are joined; nested `html`
 * results and `unsafeHtml(...)` pass through. `null`, `undefined` and `false` render as nothing.
 * The result is a `SafeHtml`: channels accept it wherever they take HTML, and `String(result)` gives the markup.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let index = 0; index < values.length; index++) {
    out += render(values[index]) + (strings[index + 1] ?? '');
  }
  return makeSafe(out);
}

/** The markup of a `SafeHtml` or a plain string (a plain string is taken as already-safe HTML). */
export function htmlToString(value: string | SafeHtml): string {
  return typeof value === 'string' ? value : value.value;
}

export { isSafeHtml };
