// Runs a fetch-standard handler inside node:http and Express: builds a `Request` from the Node request
// (headers, streamed body, an AbortSignal that fires when the client goes away) and writes the
// `Response` back. Typed structurally against node:http so it needs no Express types.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { isUnmatchedRoute } from './http-error';
import { abnormalPathReason } from './request-target';

/** Express's `next`; called with nothing to pass the request on, or with an error. */
export type NodeNext = (error?: unknown) => void;

export type NodeRequestListener = (request: IncomingMessage, response: ServerResponse, next?: NodeNext) => void;

export type FetchHandler = (request: Request) => Promise<Response>;

/** What Express (and body parsers) add to a request; read only when present. */
interface HostRequestExtras {
  originalUrl?: string;
  body?: unknown;
}

const bodylessMethods = new Set(['GET', 'HEAD']);

// Each Request built here remembers the Node request it came from, for `getNodeRequest`.
const nodeRequests = new WeakMap<Request, IncomingMessage>();

/**
 * The Node request a `Request` was built from by `toNodeHandler`, or undefined for any other Request.
 * Lets `authenticate` read what Express middleware put on `req` (e.g. passport's `req.user`).
 */
export function getNodeRequest(request: Request): IncomingMessage | undefined {
  return nodeRequests.get(request);
}

// A lazy stream over the Node request body: nothing is read until the handler reads, so a request the
// handler passes on (via `next`) or answers without its body stays untouched. Cancelling (e.g. a 413)
// drains the rest quietly so the answer still reaches the client.
function bodyStream(request: IncomingMessage): ReadableStream<Uint8Array> {
  let attached = false;
  let finished = false;
  let wake: (() => void) | undefined;
  let onData: ((chunk: Buffer) => void) | undefined;
  let onEnd: (() => void) | undefined;
  let onClose: (() => void) | undefined;

  const detach = (): void => {
    if (onData !== undefined) request.off('data', onData);
    if (onEnd !== undefined) request.off('end', onEnd);
    if (onClose !== undefined) request.off('close', onClose);
    request.off('error', ignore);
  };
  const ignore = (): void => {};
  const resolveWaiting = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };

  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        return new Promise<void>((resolve) => {
          wake = resolve;
          if (!attached) {
            attached = true;
            onData = (chunk) => {
              controller.enqueue(new Uint8Array(chunk));
              request.pause();
              resolveWaiting();
            };
            onEnd = () => {
              if (finished) return;
              finished = true;
              detach();
              controller.close();
              resolveWaiting();
            };
            onClose = () => {
              if (finished) return;
              finished = true;
              detach();
              controller.error(new Error('The client closed the connection before sending the whole body'));
              resolveWaiting();
            };
            request.on('data', onData);
            request.on('end', onEnd);
            request.on('close', onClose);
            // 'close' follows an abort error; the stream reports it, so the error itself needs no handler.
            request.on('error', ignore);
          }
          request.resume();
        });
      },
      cancel() {
        finished = true;
        detach();
        resolveWaiting();
        request.resume();
      },
    },
    { highWaterMark: 0 },
  );
}

function requestHeaders(request: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = request.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index] as string;
    if (name.startsWith(':')) continue; // HTTP/2 pseudo-headers are not headers.
    try {
      headers.append(name, raw[index + 1] as string);
    } catch {
      // A value fetch refuses (Node is more lenient); dropping one odd header beats failing the request.
    }
  }
  return headers;
}

// A body parser (express.json(), express.text(), …) already read the stream: hand on what it parsed.
function alreadyParsedBody(request: IncomingMessage & HostRequestExtras, headers: Headers): BodyInit | null {
  const parsed = request.body;
  headers.delete('content-length');
  headers.delete('transfer-encoding');
  if (parsed === undefined || parsed === null) return null;
  if (typeof parsed === 'string') return parsed;
  if (parsed instanceof Uint8Array) return new Uint8Array(parsed);
  return JSON.stringify(parsed);
}

function toRequest(request: IncomingMessage & HostRequestExtras, signal: AbortSignal): Request {
  const method = (request.method ?? 'GET').toUpperCase();
  const headers = requestHeaders(request);
  const encrypted = (request.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const origin = `${encrypted ? 'https' : 'http'}://${headers.get('host') ?? 'localhost'}`;
  // Express strips its mount path from `url`; `originalUrl` keeps the path the client asked for.
  const url = new URL(request.originalUrl ?? request.url ?? '/', origin);

  let body: BodyInit | null = null;
  if (!bodylessMethods.has(method)) {
    body = request.readableEnded ? alreadyParsedBody(request, headers) : bodyStream(request);
  }
  // `duplex` is required by Node's fetch for streamed bodies and missing from the DOM typings.
  const init: RequestInit & { duplex?: 'half' } = { method, headers, body, signal };
  if (body instanceof ReadableStream) init.duplex = 'half';
  const built = new Request(url, init);
  nodeRequests.set(built, request);
  return built;
}

async function writeBody(response: Response, target: ServerResponse): Promise<void> {
  if (response.body === null) {
    target.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      if (target.destroyed) {
        await reader.cancel();
        return;
      }
      const { done, value } = await reader.read();
      if (done) break;
      if (!target.write(value)) {
        // Wait for the socket to take more, or for the client to leave.
        await new Promise<void>((resolve) => {
          const settle = (): void => {
            target.off('drain', settle);
            target.off('close', settle);
            resolve();
          };
          target.on('drain', settle);
          target.on('close', settle);
        });
      }
    }
    target.end();
  } catch (error) {
    target.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}

function writeResponse(request: IncomingMessage, response: Response, target: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  target.writeHead(response.status, headers);
  if (request.method === 'HEAD') {
    target.end();
    return response.body?.cancel() ?? Promise.resolve();
  }
  return writeBody(response, target);
}

function writeBadRequest(target: ServerResponse, message: string): void {
  target.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  target.end(JSON.stringify({ error: { code: 'BAD_REQUEST', message } }));
}

function writeInternalError(target: ServerResponse): void {
  if (target.headersSent) {
    target.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code: 'INTERNAL', message: 'Internal error' } });
  target.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  target.end(body);
}

/**
 * Adapts a fetch-standard handler (such as `createInboxHandler`'s) to node:http and Express.
 * With Express's `next`, requests the inbox API has no route for are passed on to the next middleware.
 */
export function toNodeHandler(handler: FetchHandler): NodeRequestListener {
  return (request, response, next) => {
    const abort = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) abort.abort(new Error('The client closed the connection'));
    });

    const run = async (): Promise<void> => {
      // Refused, not resolved, and not passed on to `next` either: the handler must never serve a path other than
      // the one the host's routing matched.
      const reason = abnormalPathReason((request as HostRequestExtras).originalUrl ?? request.url ?? '/');
      if (reason !== undefined) {
        writeBadRequest(response, `The request path is not in normal form: ${reason}`);
        return;
      }
      let fetchRequest: Request;
      try {
        fetchRequest = toRequest(request, abort.signal);
      } catch {
        writeBadRequest(response, 'Malformed request');
        return;
      }
      const fetchResponse = await handler(fetchRequest);
      if (next !== undefined && isUnmatchedRoute(fetchResponse)) {
        await fetchResponse.body?.cancel();
        next();
        return;
      }
      if (abort.signal.aborted || response.destroyed) {
        await fetchResponse.body?.cancel();
        return;
      }
      await writeResponse(request, fetchResponse, response);
    };

    run().catch((error: unknown) => {
      if (next !== undefined && !response.headersSent) next(error);
      else writeInternalError(response);
    });
  };
}
