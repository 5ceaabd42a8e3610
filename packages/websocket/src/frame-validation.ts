// Turns one text frame from a client into a typed ClientFrame, or into the precise reason it is not one.

import { type ClientFrame, MAX_ID_LENGTH, MAX_IDS_PER_FRAME, MAX_REF_LENGTH, type ProtocolErrorCode } from './protocol';

export type ParsedFrame =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ProtocolErrorCode; message: string; ref?: string };

const knownTypes = new Set([
  'hello',
  'ack',
  'read',
  'unread',
  'readAll',
  'seen',
  'seenAll',
  'archive',
  'unarchive',
  'archiveAllRead',
  'ping',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readIds(body: Record<string, unknown>): string[] | string {
  const ids = body.ids;
  if (!Array.isArray(ids)) return 'ids: expected an array of strings';
  if (ids.length === 0) return 'ids: expected at least one id';
  if (ids.length > MAX_IDS_PER_FRAME) return `ids: at most ${MAX_IDS_PER_FRAME} per frame, got ${ids.length}`;
  for (let index = 0; index < ids.length; index++) {
    const id = ids[index];
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
      return `ids.${index}: expected a non-empty string of at most ${MAX_ID_LENGTH} characters`;
    }
  }
  return [...new Set(ids as string[])];
}

/** An optional `upToPosition`: absent, or an integer ≥ 0; otherwise the reason. */
function readUpTo(body: Record<string, unknown>): { upToPosition?: number } | string {
  const position = body.upToPosition;
  if (position === undefined || position === null) return {};
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
    return 'upToPosition: expected a non-negative integer';
  }
  return { upToPosition: position };
}

/** An optional `notificationType`: absent, or a non-empty string of bounded length; otherwise the reason. */
function readType(body: Record<string, unknown>): { notificationType?: string } | string {
  const notificationType = body.notificationType;
  if (notificationType === undefined || notificationType === null) return {};
  if (
    typeof notificationType !== 'string' ||
    notificationType.length === 0 ||
    notificationType.length > MAX_ID_LENGTH
  ) {
    return `notificationType: expected a non-empty string of at most ${MAX_ID_LENGTH} characters`;
  }
  return { notificationType };
}

/** Validates one frame. Unknown extra fields are ignored so later minor additions stay compatible. */
export function parseClientFrame(text: string): ParsedFrame {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, code: 'MALFORMED_FRAME', message: 'Frame is not valid JSON' };
  }
  if (!isRecord(body)) return { ok: false, code: 'MALFORMED_FRAME', message: 'Frame must be a JSON object' };

  let ref: string | undefined;
  if (body.ref !== undefined) {
    if (typeof body.ref !== 'string' || body.ref.length > MAX_REF_LENGTH) {
      return {
        ok: false,
        code: 'INVALID_FRAME',
        message: `ref: expected a string of at most ${MAX_REF_LENGTH} characters`,
      };
    }
    ref = body.ref;
  }
  const fail = (code: ProtocolErrorCode, message: string): ParsedFrame =>
    ref === undefined ? { ok: false, code, message } : { ok: false, code, message, ref };
  const withRef = <F extends ClientFrame>(frame: F): ParsedFrame => ({
    ok: true,
    frame: ref === undefined ? frame : { ...frame, ref },
  });

  const type = body.type;
  if (typeof type !== 'string') return fail('UNKNOWN_TYPE', 'type: expected a string');
  if (!knownTypes.has(type)) return fail('UNKNOWN_TYPE', `type: unknown frame type "${type.slice(0, 40)}"`);

  switch (type) {
    case 'hello': {
      const position = body.lastPosition;
      if (position === undefined || position === null) return withRef({ type: 'hello' });
      if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
        return fail('INVALID_FRAME', 'lastPosition: expected a non-negative integer');
      }
      return withRef({ type: 'hello', lastPosition: position });
    }
    case 'ack':
    case 'read':
    case 'unread':
    case 'seen':
    case 'archive':
    case 'unarchive': {
      const ids = readIds(body);
      if (typeof ids === 'string') return fail('INVALID_FRAME', ids);
      return withRef({ type, ids });
    }
    case 'readAll':
    case 'archiveAllRead': {
      const notificationType = readType(body);
      if (typeof notificationType === 'string') return fail('INVALID_FRAME', notificationType);
      const upTo = readUpTo(body);
      if (typeof upTo === 'string') return fail('INVALID_FRAME', upTo);
      return withRef({ type, ...notificationType, ...upTo });
    }
    case 'seenAll': {
      const upTo = readUpTo(body);
      if (typeof upTo === 'string') return fail('INVALID_FRAME', upTo);
      return withRef({ type: 'seenAll', ...upTo });
    }
    default:
      return withRef({ type: 'ping' });
  }
}
