import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { createHerald, type Herald } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { createInboxHandler } from './inbox-handler';
import { type FetchHandler, getNodeRequest, type NodeNext, toNodeHandler } from './node-handler';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
const heralds: Herald[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
  for (const herald of heralds.splice(0)) await herald.close();
});

async function listen(listener: Listener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** node:http client, for what fetch cannot do: chunked uploads without a length, HEAD bodies, raw headers. */
function rawRequest(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string | string[]>; chunks?: string[] } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${base}${path}`, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }),
      );
      res.on('error', reject);
    });
    outgoing.on('error', reject);
    for (const chunk of options.chunks ?? []) outgoing.write(chunk);
    outgoing.end();
  });
}

/**
 * Sends a request line exactly as written, over a plain socket: Node's client, like fetch and browsers, would not
 * send some of these paths as they are.
 */
function socketRequest(base: string, method: string, target: string, headers: Record<string, string> = {}) {
  const { port } = new URL(base);
  const lines = [`${method} ${target} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    const parts: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = text.slice(0, split);
      let body = text.slice(split + 4);
      if (/^transfer-encoding: chunked$/im.test(head)) body = dechunk(body);
      resolve({ status: Number(head.split(' ')[1]), body });
    });
  });
}

function dechunk(chunked: string): string {
  let body = '';
  let rest = chunked;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return body;
    body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

function inboxHerald(): Herald {
  const herald = createHerald({ store: new MemoryStore() });
  heralds.push(herald);
  return herald;
}

const authenticate = (request: Request): { userId: string } | null => {
  const user = request.headers.get('x-user');
  return user === null ? null : { userId: user };
};

// The parts of Express's routing these tests need: a middleware stack with `next`, mount paths that
// strip `url` and keep `originalUrl`.
type Middleware = (
  req: IncomingMessage & { originalUrl?: string; body?: unknown },
  res: ServerResponse,
  next: NodeNext,
) => void;

function expressLike(stack: { mount?: string; use: Middleware }[]): Listener {
  return (req, res) => {
    const request = req as IncomingMessage & { originalUrl?: string };
    request.originalUrl = req.url ?? '/';
    let index = 0;
    const next: NodeNext = (error) => {
      if (error !== undefined) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`host error handler: ${(error as Error).message}`);
        return;
      }
      const layer = stack[index++];
      if (layer === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('host 404');
        return;
      }
      const mount = layer.mount ?? '';
      const original = request.originalUrl ?? '/';
      if (mount !== '' && original !== mount && !original.startsWith(`${mount}/`)) return next();
      req.url = original.slice(mount.length) || '/';
      layer.use(request, res, next);
    };
    next();
  };
}

/** Reads and parses a JSON body the way express.json() does, leaving the stream consumed. */
const jsonBodyParser: Middleware = (req, _res, next) => {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return next();
  const parts: Buffer[] = [];
  req.on('data', (chunk: Buffer) => parts.push(chunk));
  req.on('end', () => {
    req.body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    next();
  });
};

describe('toNodeHandler', () => {
  it('hands the handler the method, URL, every header and the streamed body', async () => {
    const seen: { method: string; url: string; multi: string | null; type: string | null; body: string }[] = [];
    const echo: FetchHandler = async (req) => {
      seen.push({
        method: req.method,
        url: req.url,
        multi: req.headers.get('x-multi'),
        type: req.headers.get('content-type'),
        body: await req.text(),
      });
      return new Response('ok');
    };
    const base = await listen(toNodeHandler(echo));
    const response = await rawRequest(base, '/some/path?q=1&q=2', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-multi': ['a', 'b'] },
      chunks: ['first,', 'second,', 'third'],
    });
    expect(response.status).toBe(200);
    expect(seen).toEqual([
      {
        method: 'POST',
        url: `${base}/some/path?q=1&q=2`,
        multi: 'a, b',
        type: 'text/plain',
        body: 'first,second,third',
      },
    ]);
  });

  it('writes status, headers (each Set-Cookie on its own) and a streamed body back', async () => {
    const handler: FetchHandler = async () => {
      const headers = new Headers({ 'content-type': 'text/plain', 'x-custom': 'yes' });
      headers.append('set-cookie', 'a=1; Path=/');
      headers.append('set-cookie', 'b=2; Path=/');
      const parts = ['one ', 'two ', 'three'];
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          const part = parts.shift();
          if (part === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(part));
        },
      });
      return new Response(body, { status: 202, headers });
    };
    const base = await listen(toNodeHandler(handler));
    const response = await rawRequest(base, '/');
    expect(response.status).toBe(202);
    expect(response.headers['x-custom']).toBe('yes');
    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(response.body).toBe('one two three');
  });

  it('writes no body for HEAD', async () => {
    const base = await listen(toNodeHandler(async () => new Response('a body', { headers: { 'x-head': '1' } })));
    const response = await rawRequest(base, '/', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers['x-head']).toBe('1');
    expect(response.body).toBe('');
  });

  it('aborts the request signal when the client goes away', async () => {
    let signalled: (reason: unknown) => void = () => {};
    const aborted = new Promise<unknown>((resolve) => {
      signalled = resolve;
    });
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const handler: FetchHandler = (req) =>
      new Promise<Response>((resolve) => {
        req.signal.addEventListener('abort', () => {
          signalled(req.signal.reason);
          resolve(new Response('too late'));
        });
        started();
      });
    const base = await listen(toNodeHandler(handler));
    const outgoing = request(`${base}/slow`);
    outgoing.on('error', () => {});
    outgoing.end();
    await handlerStarted;
    outgoing.destroy();
    const reason = await aborted;
    expect(String(reason)).toContain('closed the connection');
  });

  it('answers 500 INTERNAL when the handler rejects, without the cause', async () => {
    const base = await listen(
      toNodeHandler(async () => {
        throw new Error('db password=hunter2');
      }),
    );
    const response = await rawRequest(base, '/');
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
  });

  it('answers 400 BAD_REQUEST when the Node request cannot become a fetch Request', async () => {
    let calls = 0;
    const base = await listen(
      toNodeHandler(async () => {
        calls++;
        return new Response('reached');
      }),
    );
    // Node hands TRACE to the listener; fetch refuses to build a Request with it.
    const response = await rawRequest(base, '/', { method: 'TRACE' });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'BAD_REQUEST', message: 'Malformed request' } });
    expect(calls).toBe(0);
  });

  it('passes a rejection to Express’s next(error)', async () => {
    const failing = toNodeHandler(async () => {
      throw new Error('boom');
    });
    const base = await listen(expressLike([{ use: failing }]));
    const response = await rawRequest(base, '/');
    expect(response.status).toBe(500);
    expect(response.body).toBe('host error handler: boom');
  });

  it('answers 413 to a chunked upload over the limit, and the connection stays usable', async () => {
    const herald = inboxHerald();
    const handler = createInboxHandler({ herald, authenticate, maxBodyBytes: 1024 });
    const base = await listen(toNodeHandler(handler));
    const chunk = `"${'x'.repeat(510)}",`;
    const response = await rawRequest(base, '/preferences', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-user': 'alice' },
      chunks: ['{"types":[', ...Array.from({ length: 8 }, () => chunk), '"x"]}'],
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await herald.preferences.get('alice')).toEqual({ channels: {}, types: {} });
    const after = await rawRequest(base, '/preferences', { headers: { 'x-user': 'alice' } });
    expect(after.status).toBe(200);
  });
});

describe('toNodeHandler with Express-style routing', () => {
  it('serves its routes under the mount path and passes other requests, body untouched, to next()', async () => {
    const herald = inboxHerald();
    const inbox = toNodeHandler(createInboxHandler({ herald, authenticate, basePath: '/api/inbox' }));
    const received: string[] = [];
    const base = await listen(
      expressLike([
        { mount: '/api/inbox', use: inbox },
        {
          use: (req, res) => {
            const parts: Buffer[] = [];
            req.on('data', (chunk: Buffer) => parts.push(chunk));
            req.on('end', () => {
              received.push(`${req.method} ${req.url} ${Buffer.concat(parts).toString('utf8')}`);
              res.end('host route');
            });
          },
        },
      ]),
    );

    const created = await rawRequest(base, '/api/inbox/devices', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'alice' },
      chunks: [JSON.stringify({ token: 't1', platform: 'web' })],
    });
    expect(created.status).toBe(201);
    expect((await herald.devices.list('alice')).map((device) => device.token)).toEqual(['t1']);

    const passedOn = await rawRequest(base, '/api/inbox/elsewhere', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      chunks: ['{"kept":true}'],
    });
    expect(passedOn.body).toBe('host route');
    expect(received).toEqual(['POST /api/inbox/elsewhere {"kept":true}']);
  });

  it('answers its own 404s (foreign ids) itself rather than passing them on', async () => {
    const herald = inboxHerald();
    const inbox = toNodeHandler(createInboxHandler({ herald, authenticate }));
    const base = await listen(expressLike([{ use: inbox }]));
    const response = await rawRequest(base, '/notifications/someone-elses/read', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'alice' },
    });
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body).error.code).toBe('NOT_FOUND');
  });

  it('uses a body a JSON body parser already read', async () => {
    const herald = inboxHerald();
    const inbox = toNodeHandler(createInboxHandler({ herald, authenticate }));
    const base = await listen(expressLike([{ use: jsonBodyParser }, { use: inbox }]));
    const response = await rawRequest(base, '/preferences', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-user': 'alice' },
      chunks: ['{"channels":{"inApp":false}}'],
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ channels: { inApp: false }, types: {} });
    expect(await herald.preferences.get('alice')).toEqual({ channels: { inApp: false }, types: {} });

    const invalid = await rawRequest(base, '/preferences', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-user': 'alice' },
      chunks: ['{"channels":{"inApp":"off"}}'],
    });
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body).error.issues).toEqual([
      { path: 'channels.inApp', message: 'Invalid input: expected boolean, received string' },
    ]);
  });

  it('lets authenticate read what earlier middleware put on the Node request', async () => {
    const herald = inboxHerald();
    await herald.preferences.set('carol', { channels: { inApp: false } });
    const inbox = toNodeHandler(
      createInboxHandler({
        herald,
        authenticate: (request) => {
          const user = (getNodeRequest(request) as { user?: { id: string } } | undefined)?.user;
          return user === undefined ? null : { userId: user.id };
        },
      }),
    );
    // Stands in for a session middleware such as passport, which sets req.user.
    const session: Middleware = (req, _res, next) => {
      if (req.headers.cookie === 'session=carol') (req as { user?: { id: string } }).user = { id: 'carol' };
      next();
    };
    const base = await listen(expressLike([{ use: session }, { use: inbox }]));
    const signedIn = await rawRequest(base, '/preferences', { headers: { cookie: 'session=carol' } });
    expect(signedIn.status).toBe(200);
    expect(JSON.parse(signedIn.body)).toEqual({ channels: { inApp: false }, types: {} });
    const anonymous = await rawRequest(base, '/preferences');
    expect(anonymous.status).toBe(401);
    expect(getNodeRequest(new Request('http://localhost/'))).toBeUndefined();
  });
});

describe('toNodeHandler: paths not in normal form', () => {
  // A URL parser resolves each of these to /api/inbox/notifications (or reads a host out of it), so a handler that
  // took them would serve a path other than the one the host's routing matched.
  const abnormal: [string, string][] = [
    ['/x/../api/inbox/notifications', '".." segment'],
    ['/x/%2e%2e/api/inbox/notifications', '".." segment'],
    ['/x/%2E%2e/api/inbox/notifications', '".." segment'],
    ['/x/.%2E/api/inbox/notifications', '".." segment'],
    ['/api/inbox/./notifications', '"." or ".." segment'],
    ['/api/inbox/%2e/notifications', '"." or ".." segment'],
    ['/api/inbox/notifications/x/..', '".." segment'],
    ['//evil.example/api/inbox/notifications', 'empty segment'],
    ['/api//inbox/notifications', 'empty segment'],
    ['/api/inbox//notifications', 'empty segment'],
    ['/x\\..\\api/inbox/notifications', 'backslash'],
    ['/\\evil.example/api/inbox/notifications', 'backslash'],
    ['/api/inbox\\notifications', 'backslash'],
    ['http://127.0.0.1/x/../api/inbox/notifications', '".." segment'],
    ['*', 'does not start with "/"'],
  ];

  /** The inbox at the root of an Express-like stack, a host route after it, and a count of requests it saw. */
  async function mountedInbox(guard?: Middleware) {
    const herald = inboxHerald();
    const inbox = createInboxHandler({ herald, authenticate, basePath: '/api/inbox' });
    let reached = 0;
    const counted = toNodeHandler(async (request) => {
      reached++;
      return inbox(request);
    });
    const hostRoutes: string[] = [];
    const hostRoute: Middleware = (req, res) => {
      hostRoutes.push(req.url ?? '');
      res.end('host route');
    };
    const base = await listen(
      expressLike([
        ...(guard === undefined ? [] : [{ mount: '/api/inbox', use: guard }]),
        { use: counted },
        { use: hostRoute },
      ]),
    );
    return { herald, base, reached: () => reached, hostRoutes };
  }

  const headers = { 'x-user': 'alice', 'content-type': 'application/json', 'content-length': '0' };

  it.each(abnormal)('answers %s with 400 BAD_REQUEST naming the %s, and nothing runs', async (target, reason) => {
    const { herald, base, reached, hostRoutes } = await mountedInbox();
    await herald.devices.register('alice', { token: 'alices-phone', platform: 'ios' });
    const requests: [string, string][] = [
      ['GET', target],
      ['POST', target.replace('notifications', 'notifications/read-all')],
      ['DELETE', target.replace('notifications', 'devices/alices-phone')],
    ];
    for (const [method, path] of requests) {
      const response = await socketRequest(base, method, path, headers);
      expect(response.status, `${method} ${path}`).toBe(400);
      const error = JSON.parse(response.body).error as { code: string; message: string };
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain('The request path is not in normal form: it ');
      expect(error.message).toContain(reason);
    }
    expect(reached()).toBe(0);
    expect(hostRoutes).toEqual([]);
    expect((await herald.devices.list('alice')).map((device) => device.token)).toEqual(['alices-phone']);
  });

  it('cannot be reached past a host guard on the prefix', async () => {
    // The host closes /api/inbox with its own middleware; its router matches the path as sent.
    const guard: Middleware = (_req, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('guarded');
    };
    const { base, reached } = await mountedInbox(guard);
    expect((await socketRequest(base, 'GET', '/api/inbox/notifications', headers)).status).toBe(403);
    for (const target of [
      '/x/../api/inbox/notifications',
      '/x/%2e%2e/api/inbox/notifications',
      '//x/api/inbox/notifications',
      '/x\\..\\api/inbox/notifications',
    ]) {
      expect((await socketRequest(base, 'GET', target, headers)).status, target).toBe(400);
    }
    expect(reached()).toBe(0);
  });

  it('serves paths in normal form: a trailing slash, dots in the query or inside a segment, encoded slashes', async () => {
    const { herald, base, reached } = await mountedInbox();
    const token = 'a/b\\c..';
    await herald.devices.register('alice', { token, platform: 'web' });
    const served: [string, string, number][] = [
      ['GET', '/api/inbox/notifications', 200],
      ['GET', '/api/inbox/notifications/', 200],
      ['GET', '/api/inbox/notifications?_=/../..//x', 200],
      ['GET', '/api/inbox/notifications/..x/read', 405],
      ['DELETE', `/api/inbox/devices/${encodeURIComponent(token)}`, 204],
    ];
    for (const [method, target, status] of served) {
      expect((await socketRequest(base, method, target, headers)).status, `${method} ${target}`).toBe(status);
    }
    expect(reached()).toBe(served.length);
    expect(await herald.devices.list('alice')).toEqual([]);
  });
});
