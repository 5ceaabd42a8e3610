// The normal-form rule for the paths `toNodeHandler` accepts. A URL parser resolves `..`, `%2e%2e` and backslashes
// and reads a leading `//` as a host, so the path a handler would see can differ from the one the host's own routing
// and guards matched (`/x/../api/inbox` passes a guard on `/api/inbox`). Browsers never send such paths: they
// resolve them first. So a path that is not in normal form is refused instead of resolved.

// A scheme and an authority: the absolute form of a request target, which proxies send.
const absoluteForm = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;
const encodedDot = /%2e/gi;

/** C0 controls and DEL: a URL parser drops tabs and newlines, which would join `.\t.` into `..`. */
function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Why a request target's path is not in normal form, or `undefined` when it is. */
export function abnormalPathReason(target: string): string | undefined {
  const match = absoluteForm.exec(target);
  const rest = match === null ? target : target.slice(match[0].length) || '/';
  if (!rest.startsWith('/')) return 'it does not start with "/"';
  const end = rest.search(/[?#]/);
  const path = end === -1 ? rest : rest.slice(0, end);
  if (hasControlCharacter(path)) return 'it has a control character';
  if (path.includes('\\')) {
    return 'it has a backslash, which URL parsers read as "/"; percent-encode one inside a segment as %5C';
  }
  if (path.includes('//')) return 'it has an empty segment ("//"); join segments with one "/"';
  for (const segment of path.split('/')) {
    const dots = segment.replace(encodedDot, '.');
    if (dots === '.' || dots === '..') {
      return 'it has a "." or ".." segment (raw or percent-encoded); send the path it resolves to';
    }
  }
  return undefined;
}
