// The JSON error responses the inbox API answers with. Every error carries a stable `code` that
// clients branch on; messages are for people and may change.

import type { ValidationIssue } from '@herald/core';

export type InboxErrorCode =
  | 'VALIDATION'
  | 'INVALID_JSON'
  | 'UNAUTHENTICATED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  /** `POST /devices`: another account registered the token. */
  | 'DEVICE_TAKEN'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAVAILABLE'
  /** `toNodeHandler` only: the request could not be handed to the handler (a path not in normal form, say). */
  | 'BAD_REQUEST'
  | 'INTERNAL';

export interface InboxErrorIssue {
  path: string;
  message: string;
}

export interface InboxErrorBody {
  error: { code: InboxErrorCode; message: string; issues?: InboxErrorIssue[] };
}

/** Thrown inside the handler to answer with an error; anything else thrown becomes `500 INTERNAL`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: InboxErrorCode;
  readonly issues: InboxErrorIssue[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: InboxErrorCode,
    message: string,
    options: { issues?: readonly ValidationIssue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    // Only path and message cross the wire: the issue codes of a schema library or store are not part of the API.
    this.issues = options.issues?.map((issue) => ({ path: issue.path, message: issue.message }));
    this.headers = options.headers ?? {};
  }
}

const jsonHeaders = {
  'content-type': 'application/json; charset=utf-8',
  // Inbox answers are one user's private, fast-changing state: never cache them anywhere.
  'cache-control': 'no-store',
};

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...jsonHeaders, ...headers } });
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers: { 'cache-control': 'no-store', ...headers } });
}

export function errorResponse(error: HttpError): Response {
  const body: InboxErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.issues === undefined ? {} : { issues: error.issues }),
    },
  };
  return jsonResponse(error.status, body, error.headers);
}

// Responses for requests outside the API's routes. A Node adapter given `next` hands those on to the
// host's other routes instead of answering 404 itself.
const unmatched = new WeakSet<Response>();

export function unmatchedRouteResponse(): Response {
  const response = errorResponse(new HttpError(404, 'NOT_FOUND', 'No such route'));
  unmatched.add(response);
  return response;
}

/** True for the 404 the inbox handler answers when no route matched the request. */
export function isUnmatchedRoute(response: Response): boolean {
  return unmatched.has(response);
}
