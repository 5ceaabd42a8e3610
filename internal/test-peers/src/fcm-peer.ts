// A local TLS peer that speaks the FCM HTTP v1 API (`POST /v1/projects/{projectId}/messages:send`) over
// HTTP/2 and HTTP/1.1, for tests and benchmarks that drive the real firebase-admin against it.
//
// firebase-admin has no endpoint override: `sendEach` opens `http2.connect('https://fcm.googleapis.com')`
// and the legacy transport uses `https.request` through the app's `httpAgent`. The peer therefore
// (1) wraps `http2.connect` in this process so sessions for fcm.googleapis.com reach the peer, and
// (2) hands out apps whose `httpAgent` dials the peer. It also rewrites the `:scheme` pseudo-header,
// which firebase-admin sends as `https:` and which Node's HTTP/2 server refuses as a protocol error.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { type App, type Credential, deleteApp, initializeApp } from 'firebase-admin/app';
import { getMessaging, type Messaging } from 'firebase-admin/messaging';

export const FCM_HOST = 'fcm.googleapis.com';
export const FCM_PEER_ACCESS_TOKEN = 'herald-fcm-peer-access-token';

export interface FcmPeerRequest {
  transport: 'h2' | 'http/1.1';
  projectId: string;
  authorization: string | undefined;
  /** The JSON body firebase-admin sent: `{ message, validate_only? }`. */
  body: {
    message?: Record<string, unknown> & { token?: string; data?: Record<string, unknown> };
    validate_only?: boolean;
  };
  token: string | undefined;
}

/** A message the peer accepted (answered 200, not `validate_only`), in plain fields (what a developer page lists). */
export interface FcmPeerMessage {
  token: string;
  title: string | undefined;
  body: string | undefined;
  data: Record<string, string> | undefined;
  /** The FCM v1 message as sent. */
  message: Record<string, unknown>;
  /** ISO 8601. */
  receivedAt: string;
}

export interface FcmPeerReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Reset the stream (HTTP/2) or the socket (HTTP/1.1) instead of answering. */
  reset?: boolean;
  /** HTTP/2 only: answer, then end the session with GOAWAY (what a server does when it is going away). */
  goaway?: boolean;
}

/** Decides a reply; `undefined` falls through to the peer's default behaviour. */
export type FcmPeerHandler = (request: FcmPeerRequest) => FcmPeerReply | undefined;

/** Error replies shaped as FCM sends them (google.rpc.Status with an FcmError detail). */
export function fcmErrorReply(
  status: number,
  rpcStatus: string,
  errorCode: string,
  message: string,
  headers?: Record<string, string>,
): FcmPeerReply {
  const reply: FcmPeerReply = {
    status,
    body: {
      error: {
        code: status,
        message,
        status: rpcStatus,
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }],
      },
    },
  };
  if (headers) reply.headers = headers;
  return reply;
}

export const fcmReplies = {
  unregistered: (): FcmPeerReply => fcmErrorReply(404, 'NOT_FOUND', 'UNREGISTERED', 'Requested entity was not found.'),
  invalidToken: (): FcmPeerReply =>
    fcmErrorReply(
      400,
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'The registration token is not a valid FCM registration token',
    ),
  invalidArgument: (message: string): FcmPeerReply =>
    fcmErrorReply(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', message),
  /** `Retry-After: 0` keeps firebase-admin's own 503 retries from backing off for seconds. */
  unavailable: (): FcmPeerReply =>
    fcmErrorReply(503, 'UNAVAILABLE', 'UNAVAILABLE', 'The service is currently unavailable.', { 'retry-after': '0' }),
  internal: (): FcmPeerReply => fcmErrorReply(500, 'INTERNAL', 'INTERNAL', 'Internal error encountered.'),
  quotaExceeded: (): FcmPeerReply =>
    fcmErrorReply(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED', 'Quota exceeded for quota metric.', {
      'retry-after': '30',
    }),
  senderIdMismatch: (): FcmPeerReply =>
    fcmErrorReply(403, 'PERMISSION_DENIED', 'SENDER_ID_MISMATCH', 'SenderId mismatch'),
  thirdPartyAuth: (): FcmPeerReply =>
    fcmErrorReply(401, 'UNAUTHENTICATED', 'THIRD_PARTY_AUTH_ERROR', 'Auth error from APNS or Web Push Service'),
};

export interface FcmPeerSettings {
  projectId?: string;
}

export interface CreatePeerMessagingOptions {
  /** Use firebase-admin's HTTP/1.1 transport for `sendEach` (`enableLegacyHttpTransport`). */
  legacy?: boolean;
}

/** Where a peer listens: enough for another thread or process to send to it. */
export interface FcmPeerAddress {
  projectId: string;
  port: number;
  /** The self-signed certificate (PEM) the peer presents for fcm.googleapis.com. */
  ca: string;
}

/** firebase-admin apps aimed at a peer; while open, this process's HTTP/2 sessions to FCM reach the peer. */
export interface FcmPeerClient {
  /** A firebase-admin app (credential and `httpAgent` aimed at the peer). */
  createApp(): App;
  createMessaging(options?: CreatePeerMessagingOptions): Messaging;
  /** Deletes the apps and stops routing (once no other client routes). */
  close(): Promise<void>;
}

export interface FcmPeer extends FcmPeerClient, FcmPeerAddress {
  /** TLS connections accepted so far (firebase-admin opens one HTTP/2 session per `sendEach` call). */
  readonly connectionCount: number;
  /** Every request received, in arrival order. */
  readonly requests: FcmPeerRequest[];
  /** Every message the peer accepted, oldest first. */
  listReceived(): FcmPeerMessage[];
  /** Tokens answered 404 UNREGISTERED. */
  readonly deadTokens: Set<string>;
  /** Tokens answered 400 INVALID_ARGUMENT "not a valid FCM registration token". */
  readonly malformedTokens: Set<string>;
  /** Replies served to the next requests, one each, before any other behaviour. */
  enqueue(...replies: FcmPeerReply[]): void;
  /** A custom decision per request, consulted after the queue. */
  handler: FcmPeerHandler | undefined;
  /** Forgets requests, queued replies, tokens, the handler and the connection count. */
  reset(): void;
  close(): Promise<void>;
}

let certificate: { key: string; cert: string } | undefined;

/** A self-signed certificate for fcm.googleapis.com, made once per process with the openssl CLI. */
function testCertificate(): { key: string; cert: string } {
  if (certificate) return certificate;
  const dir = mkdtempSync(join(tmpdir(), 'herald-fcm-peer-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        `/CN=${FCM_HOST}`,
        '-addext',
        `subjectAltName=DNS:${FCM_HOST}`,
        '-days',
        '2',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    certificate = {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
    return certificate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- routing firebase-admin's HTTP/2 sessions to the active peer -------------------------------------

let appSequence = 0;
const activePeers: { port: number; ca: string }[] = [];
const originalConnect = http2.connect;

function isFcmAuthority(authority: unknown): boolean {
  try {
    const url = typeof authority === 'string' ? new URL(authority) : (authority as URL);
    return url.hostname === FCM_HOST;
  } catch {
    return false;
  }
}

const redirectingConnect = function connect(
  this: unknown,
  authority: unknown,
  ...rest: unknown[]
): http2.ClientHttp2Session {
  const target = activePeers[activePeers.length - 1];
  const call = originalConnect as (...args: unknown[]) => http2.ClientHttp2Session;
  if (!target || !isFcmAuthority(authority)) return call.call(http2, authority, ...rest);
  const options = (typeof rest[0] === 'object' && rest[0] !== null ? rest[0] : {}) as http2.SecureClientSessionOptions;
  const listener = typeof rest[0] === 'function' ? rest[0] : rest[1];
  const session = call.call(
    http2,
    authority,
    {
      ...options,
      createConnection: () =>
        tls.connect({
          host: '127.0.0.1',
          port: target.port,
          servername: FCM_HOST,
          ca: target.ca,
          ALPNProtocols: ['h2'],
        }),
    },
    ...(listener === undefined ? [] : [listener]),
  );
  const request = session.request;
  session.request = function rewritingRequest(headers, requestOptions) {
    const fixed = headers?.[':scheme'] === 'https:' ? { ...headers, ':scheme': 'https' } : headers;
    return request.call(this, fixed, requestOptions);
  };
  return session;
};

function activate(peer: { port: number; ca: string }): void {
  activePeers.push(peer);
  if (http2.connect !== redirectingConnect) http2.connect = redirectingConnect as typeof http2.connect;
}

function deactivate(peer: { port: number; ca: string }): void {
  const index = activePeers.indexOf(peer);
  if (index !== -1) activePeers.splice(index, 1);
  if (activePeers.length === 0 && http2.connect === redirectingConnect) http2.connect = originalConnect;
}

/** Sends this process's FCM traffic to a peer listening at `address` (here, or in another thread or process). */
export function connectToFcmPeer(address: FcmPeerAddress): FcmPeerClient {
  const { projectId, port, ca } = address;
  const route = { port, ca };
  activate(route);
  const apps: App[] = [];
  const agents: https.Agent[] = [];
  const credential: Credential = {
    getAccessToken: async () => ({ access_token: FCM_PEER_ACCESS_TOKEN, expires_in: 3600 }),
  };
  const client: FcmPeerClient = {
    createApp() {
      const agent = new https.Agent({ keepAlive: true });
      // The legacy transport honours the app's agent: dial the peer whatever host the URL names.
      agent.createConnection = () =>
        tls.connect({ host: '127.0.0.1', port, servername: FCM_HOST, ca, ALPNProtocols: ['http/1.1'] });
      agents.push(agent);
      appSequence += 1;
      const app = initializeApp(
        { projectId, credential, httpAgent: agent },
        `herald-fcm-peer-${process.pid}-${appSequence}`,
      );
      apps.push(app);
      return app;
    },
    createMessaging(options = {}) {
      const messaging = getMessaging(client.createApp());
      if (options.legacy) messaging.enableLegacyHttpTransport();
      return messaging;
    },
    async close() {
      deactivate(route);
      await Promise.all(apps.splice(0).map((app) => deleteApp(app).catch(() => undefined)));
      for (const agent of agents.splice(0)) agent.destroy();
    },
  };
  return client;
}

// --- the peer ----------------------------------------------------------------------------------------

const sendPath = /^\/v1\/projects\/([^/]+)\/messages:send$/;

/** Starts the peer on a free loopback port and routes this process's FCM traffic to it until `close`. */
export async function createFcmPeer(settings: FcmPeerSettings = {}): Promise<FcmPeer> {
  const projectId = settings.projectId ?? 'herald-test';
  const { key, cert } = testCertificate();
  const requests: FcmPeerRequest[] = [];
  const deadTokens = new Set<string>();
  const malformedTokens = new Set<string>();
  const queue: FcmPeerReply[] = [];
  const accepted: FcmPeerMessage[] = [];
  const sockets = new Set<tls.TLSSocket>();
  let messageSequence = 0;
  let connectionCount = 0;

  const defaultReply = (request: FcmPeerRequest): FcmPeerReply => {
    const message = request.body.message;
    if (request.authorization !== `Bearer ${FCM_PEER_ACCESS_TOKEN}`) {
      return fcmErrorReply(
        401,
        'UNAUTHENTICATED',
        'THIRD_PARTY_AUTH_ERROR',
        'Request had invalid authentication credentials.',
      );
    }
    if (request.projectId !== projectId)
      return fcmErrorReply(403, 'PERMISSION_DENIED', 'SENDER_ID_MISMATCH', 'SenderId mismatch');
    if (!message || typeof request.token !== 'string') return fcmReplies.invalidArgument('Message must have a token.');
    for (const [dataKey, value] of Object.entries(message.data ?? {})) {
      if (typeof value !== 'string') {
        return fcmReplies.invalidArgument(`Invalid value at 'message.data[${dataKey}].value' (TYPE_STRING)`);
      }
    }
    const { token: _token, ...payload } = message;
    if (Buffer.byteLength(JSON.stringify(payload)) > 4096) return fcmReplies.invalidArgument('Message is too big');
    if (deadTokens.has(request.token)) return fcmReplies.unregistered();
    if (malformedTokens.has(request.token)) return fcmReplies.invalidToken();
    messageSequence += 1;
    return { status: 200, body: { name: `projects/${projectId}/messages/0:${messageSequence}%herald` } };
  };

  const server = http2.createSecureServer({ key, cert, allowHTTP1: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const match = sendPath.exec(req.url);
      if (req.method !== 'POST' || !match) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
        return;
      }
      let body: FcmPeerRequest['body'];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FcmPeerRequest['body'];
      } catch {
        const reply = fcmReplies.invalidArgument('Invalid JSON payload received.');
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
        return;
      }
      const authorization = req.headers.authorization;
      const request: FcmPeerRequest = {
        transport: req.httpVersionMajor === 2 ? 'h2' : 'http/1.1',
        projectId: decodeURIComponent(match[1] as string),
        authorization: typeof authorization === 'string' ? authorization : undefined,
        body,
        token: typeof body.message?.token === 'string' ? body.message.token : undefined,
      };
      requests.push(request);
      const reply = queue.shift() ?? peer.handler?.(request) ?? defaultReply(request);
      if (reply.reset) {
        if (req.httpVersionMajor === 2) req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        else req.socket.destroy();
        return;
      }
      const message = request.body.message;
      if (reply.status === 200 && message && request.token !== undefined && request.body.validate_only !== true) {
        const notification = message.notification as { title?: unknown; body?: unknown } | undefined;
        accepted.push({
          token: request.token,
          title: typeof notification?.title === 'string' ? notification.title : undefined,
          body: typeof notification?.body === 'string' ? notification.body : undefined,
          data: message.data as Record<string, string> | undefined,
          message,
          receivedAt: new Date().toISOString(),
        });
      }
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8', ...reply.headers });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      if (reply.goaway && req.httpVersionMajor === 2) req.stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR);
    });
  });
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    connectionCount += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const client = connectToFcmPeer({ projectId, port, ca: cert });

  const peer: FcmPeer = {
    projectId,
    port,
    ca: cert,
    get connectionCount() {
      return connectionCount;
    },
    requests,
    listReceived: () => [...accepted],
    deadTokens,
    malformedTokens,
    handler: undefined,
    enqueue(...replies) {
      queue.push(...replies);
    },
    createApp: () => client.createApp(),
    createMessaging: (options) => client.createMessaging(options),
    reset() {
      requests.length = 0;
      accepted.length = 0;
      queue.length = 0;
      connectionCount = 0;
      deadTokens.clear();
      malformedTokens.clear();
      peer.handler = undefined;
    },
    async close() {
      await client.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
  return peer;
}
