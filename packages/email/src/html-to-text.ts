// Derives the plain-text part of an email from its HTML: clients that show text only (and spam filters
// that score a missing text part) get readable prose, with each link's address kept beside its words.

const namedEntities: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  bull: '•',
  middot: '·',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  deg: '°',
  times: '×',
  divide: '÷',
  larr: '←',
  rarr: '→',
  uarr: '↑',
  darr: '↓',
  zwnj: '',
  zwj: '',
  shy: '',
};

// Latin-1 names, in code point order from U+00A1: accented letters are common in names and subjects.
const latin1 =
  'iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml';
latin1.split(' ').forEach((name, index) => {
  namedEntities[name] ??= String.fromCodePoint(0xa1 + index);
});

/** Decodes HTML character references: the common named ones and every numeric form. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z][a-z0-9]*);/gi, (match, body: string) => {
    if (body[0] === '#') {
      const isHex = body[1] === 'x' || body[1] === 'X';
      const codePoint = Number.parseInt(body.slice(isHex ? 2 : 1), isHex ? 16 : 10);
      if (!Number.isFinite(codePoint) || codePoint <= 0 || codePoint > 0x10ffff) return match;
      if (codePoint >= 0xd800 && codePoint <= 0xdfff) return match;
      return String.fromCodePoint(codePoint);
    }
    return namedEntities[body] ?? namedEntities[body.toLowerCase()] ?? match;
  });
}

function attribute(tag: string, name: string): string | undefined {
  const pattern = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i');
  const match = pattern.exec(tag);
  if (!match) return undefined;
  return decodeEntities(match[1] ?? match[2] ?? match[3] ?? '');
}

// Placeholders keep structural breaks apart from source whitespace, which HTML collapses.
// Private-use characters, removed from the input first, so they cannot collide with the text.
const LINE = '\ue000';
const PARAGRAPH = '\ue001';
const PRESERVED = '\ue002';
const BREAK = '\ue003';

const paragraphTags = /^(p|h[1-6]|table|ul|ol|blockquote|pre|hr|dl|form|fieldset|address|figure)$/;
const lineTags =
  /^(div|tr|li|dt|dd|section|article|header|footer|nav|aside|main|figcaption|caption|center|tbody|thead|tfoot)$/;

function linkText(text: string, href: string | undefined): string {
  const label = text.trim();
  if (!href) return text;
  const target = href.trim();
  if (target === '' || target.startsWith('#') || /^javascript:/i.test(target)) return text;
  const shown = /^mailto:/i.test(target) ? (target.slice('mailto:'.length).split('?')[0] ?? '') : target;
  if (label === '') return shown;
  // Don't repeat an address the text already shows.
  if (
    label === shown ||
    label === target ||
    label.replace(/^https?:\/\//i, '') === shown.replace(/^https?:\/\//i, '')
  ) {
    return text;
  }
  return `${text} (${shown})`;
}

/**
 * Converts HTML to readable plain text: block elements become line breaks, list items get a dash,
 * links read as `words (https://…)`, images their alt text, and entities are decoded.
 */
export function htmlToText(markup: string): string {
  let source = markup
    .replace(/[\ue000-\ue003]/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(head|style|script|template|noscript|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '');

  // Preformatted text keeps its own line breaks and spacing.
  const preserved: string[] = [];
  source = source.replace(/<pre\b[^>]*>([\s\S]*?)<\/pre\s*>/gi, (_match, inner: string) => {
    preserved.push(inner.replace(/<br\s*\/?>/gi, '\n').replace(/<[^>]*>/g, ''));
    return `${PARAGRAPH}${PRESERVED}${preserved.length - 1}${PRESERVED}${PARAGRAPH}`;
  });

  // Links: innermost first, so markup inside the anchor is already text by the time it is read.
  source = source.replace(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi, (_match, attributes: string, inner: string) => {
    const text = inner.replace(/<(?!\/?(br|img)\b)[^>]*>/gi, '');
    return linkText(text, attribute(` ${attributes}`, 'href'));
  });

  source = source.replace(
    /<\s*(\/?)\s*([a-z][a-z0-9]*)\b([^>]*)>/gi,
    (_match, closing: string, rawName: string, rest: string) => {
      const name = rawName.toLowerCase();
      if (name === 'br') return BREAK;
      if (name === 'img') {
        const alt = attribute(` ${rest}`, 'alt');
        return alt ? ` ${alt} ` : '';
      }
      if (name === 'hr') return `${PARAGRAPH}---${PARAGRAPH}`;
      if (name === 'li' && !closing) return `${LINE}- `;
      if (name === 'td' || name === 'th') return closing ? '' : ' ';
      if (paragraphTags.test(name)) return PARAGRAPH;
      if (lineTags.test(name)) return LINE;
      return '';
    },
  );

  // Whatever still looks like a tag (a stray `<` before a letter) is dropped; a lone `<` stays.
  source = source.replace(/<\/?[a-z][^>]*>/gi, '');

  // Collapse HTML whitespace, then decode (so an encoded `&nbsp;` or `&#10;` survives as written).
  let text = source.replace(/[ \t\r\n\f]+/g, ' ');
  text = decodeEntities(text).replace(/\u00a0/g, ' ');

  // Every pattern below starts at a placeholder, never at a space: a pattern opening with ` *` retries at each
  // space of a long run (non-breaking spaces from a payload become one), which is quadratic in the run's length.
  text = text
    // Adjacent block boundaries (`</li><li>`, `</p><div>`) make one break, a paragraph's if any is one.
    .replace(/[\ue000\ue001][\ue000\ue001 ]*/g, (run) => (run.includes(PARAGRAPH) ? '\n\n' : '\n'))
    .replace(/\ue003 */g, '\n')
    .replace(/\ue002(\d+)\ue002/g, (_match, index: string) => decodeEntities(preserved[Number(index)] ?? ''));

  return text
    .split('\n')
    .map(trimLineEnd)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Drops the spaces and tabs that end a line, in one backward pass. */
function trimLineEnd(line: string): string {
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 32 || line.charCodeAt(end - 1) === 9)) end -= 1;
  return end === line.length ? line : line.slice(0, end);
}
