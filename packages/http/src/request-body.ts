// Reads a JSON request body with a size cap, refusing other media types and malformed JSON with
// the precise status each deserves (415, 413, 400 INVALID_JSON), and holds the rule that every request that changes
// state declares a JSON content type, body or not.

import { HttpError } from './http-error';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface ReadJsonOptions {
  maxBytes: number;
  /** When false, a missing or empty body reads as `undefined` instead of an error. */
  required: boolean;
}

function isJsonMediaType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));
}

function unsupportedMediaType(contentType: string | null): HttpError {
  return new HttpError(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    `Expected a JSON body (content-type: application/json), got ${contentType === null ? 'no content-type' : JSON.stringify(contentType)}`,
  );
}

/**
 * Every POST, PUT and DELETE must say `content-type: application/json` (or `application/*+json`), even one without a
 * body. A browser sends a cross-site request without asking the server first (a CORS preflight) only with a
 * `text/plain`, form or multipart content type; a JSON one needs the preflight, which a host without a CORS rule for
 * that origin refuses. So a foreign page can no longer make a signed-in user's browser mark their inbox read.
 */
export function assertJsonContentType(request: Request): void {
  const contentType = request.headers.get('content-type');
  if (isJsonMediaType(contentType)) return;
  throw new HttpError(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    `${request.method} requests must say content-type: application/json, with or without a body (it keeps other sites from sending them); got ${contentType === null ? 'no content-type' : JSON.stringify(contentType)}`,
  );
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBytes} bytes`);
}

async function readBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      // Stop reading: a client streaming a huge body gets its answer without us buffering it.
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

export async function readJsonBody(request: Request, options: ReadJsonOptions): Promise<unknown> {
  const contentType = request.headers.get('content-type');
  // A required body is refused by its media type before a byte of it is read.
  if (options.required && !isJsonMediaType(contentType)) throw unsupportedMediaType(contentType);

  const declaredLength = request.headers.get('content-length');
  if (declaredLength !== null && Number(declaredLength) > options.maxBytes) throw tooLarge(options.maxBytes);

  const bytes = await readBytes(request, options.maxBytes);
  if (bytes.byteLength === 0) {
    if (options.required) throw new HttpError(400, 'INVALID_JSON', 'Request body is empty; expected a JSON object');
    return undefined;
  }
  if (!isJsonMediaType(contentType)) throw unsupportedMediaType(contentType);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'Request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'INVALID_JSON', `Request body is not valid JSON: ${(error as Error).message}`);
  }
}
