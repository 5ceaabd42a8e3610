// A local HTTP server speaking the WhatsApp Cloud API's send endpoint, for tests and benchmarks.

import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GraphPeerRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

/** A message the peer accepted (answered 2xx), in plain fields (what a developer page lists). */
export interface GraphPeerMessage {
  to: string;
  /** `text`, `template`, … as sent. */
  type: string;
  text: string | undefined;
  template: { name: string; language: string; parameters: string[] } | undefined;
  /** The request body as sent. */
  body: Record<string, unknown>;
  /** ISO 8601. */
  receivedAt: string;
}

export interface GraphPeerReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * `'hang'` never answers (until the peer closes): for abort tests. A promise holds the reply until it resolves (to a
 * reply, or `undefined` for the default success): for tests that make something happen before the send's answer.
 */
export type GraphPeerAnswer = GraphPeerReply | 'hang' | Promise<GraphPeerReply | undefined>;

/** Decides the reply to one well-formed, authorised request; `undefined` means the default success. */
export type GraphPeerScript = (request: GraphPeerRequest, index: number) => GraphPeerAnswer | undefined;

export interface GraphPeer {
  /** Base URL to give as `graphBaseUrl`. */
  url: string;
  phoneNumberId: string;
  accessToken: string;
  apiVersion: string;
  /** Every request that reached the peer, in order (kept only when `record` is true). */
  requests: GraphPeerRequest[];
  /** Replies scripted for the next requests, consumed in order before `script` is asked. */
  queue: GraphPeerAnswer[];
  script: GraphPeerScript | undefined;
  /** Every message the peer accepted, oldest first (kept whether or not `record` is set). */
  listReceived(): GraphPeerMessage[];
  /** Resolves once this many requests have reached the peer in total. */
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

/** The Cloud API's answer to an accepted message, with the message id the test chooses. */
export function graphMessageAccepted(to: string, messageId: string): GraphPeerReply {
  return {
    status: 200,
    body: {
      messaging_product: 'whatsapp',
      contacts: [{ input: to, wa_id: to }],
      messages: [{ id: messageId, message_status: 'accepted' }],
    },
  };
}

export function graphError(code: number, message: string, status = 400): GraphPeerReply {
  return {
    status,
    body: {
      error: {
        message,
        type: 'OAuthException',
        code,
        error_data: { messaging_product: 'whatsapp', details: message },
        fbtrace_id: 'Atrace',
      },
    },
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function reply(response: import('node:http').ServerResponse, answer: GraphPeerReply): void {
  const payload = JSON.stringify(answer.body);
  response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  response.end(payload);
}

function messageOf(to: string, body: Record<string, unknown>): GraphPeerMessage {
  const text = (body.text as { body?: unknown } | undefined)?.body;
  const template = body.template as
    | { name?: unknown; language?: { code?: unknown }; components?: { parameters?: { text?: unknown }[] }[] }
    | undefined;
  return {
    to,
    type: typeof body.type === 'string' ? body.type : 'text',
    text: typeof text === 'string' ? text : undefined,
    template:
      template === undefined
        ? undefined
        : {
            name: String(template.name),
            language: String(template.language?.code ?? ''),
            parameters: (template.components ?? []).flatMap((component) =>
              (component.parameters ?? []).map((parameter) => String(parameter.text ?? '')),
            ),
          },
    body,
    receivedAt: new Date().toISOString(),
  };
}

/** Starts the peer on a free loopback port. It checks the path, the bearer token and the message's shape like Meta does. */
export async function startGraphPeer(
  options: { phoneNumberId?: string; accessToken?: string; apiVersion?: string; record?: boolean } = {},
): Promise<GraphPeer> {
  const phoneNumberId = options.phoneNumberId ?? '106540352242922';
  const accessToken = options.accessToken ?? 'EAAtest-token';
  const apiVersion = options.apiVersion ?? 'v23.0';
  const record = options.record ?? true;
  let sequence = 0;
  let server: Server | undefined;
  let received = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const accepted: GraphPeerMessage[] = [];

  const peer: GraphPeer = {
    url: '',
    phoneNumberId,
    accessToken,
    apiVersion,
    requests: [],
    queue: [],
    script: undefined,
    listReceived: () => [...accepted],
    waitForRequests(count) {
      if (received >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async close() {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    },
  };

  server = createServer((request, response) => {
    void (async () => {
      const raw = await readBody(request);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return reply(response, graphError(100, 'Request body is not JSON'));
      }
      const seen: GraphPeerRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        body,
      };
      const index = received;
      received += 1;
      if (record) peer.requests.push(seen);
      for (const waiter of waiters.filter((entry) => entry.count <= received)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      if (seen.method !== 'POST' || seen.path !== `/${apiVersion}/${phoneNumberId}/messages`) {
        return reply(response, graphError(100, `Unsupported request ${seen.method} ${seen.path}`));
      }
      if (seen.authorization !== `Bearer ${accessToken}`) {
        return reply(response, graphError(190, 'Error validating access token: Session has expired.', 401));
      }
      const to = body.to;
      if (body.messaging_product !== 'whatsapp' || typeof to !== 'string' || !/^\d{7,15}$/.test(to)) {
        return reply(response, graphError(100, 'Invalid parameter'));
      }
      if (body.type === 'text' && typeof (body.text as { body?: unknown } | undefined)?.body !== 'string') {
        return reply(response, graphError(131008, 'Required parameter is missing: text.body'));
      }
      if (body.type === 'template' && typeof (body.template as { name?: unknown } | undefined)?.name !== 'string') {
        return reply(response, graphError(131008, 'Required parameter is missing: template.name'));
      }
      const answer = peer.queue.shift() ?? peer.script?.(seen, index);
      if (answer === 'hang') return;
      const scripted = answer instanceof Promise ? await answer : answer;
      if (scripted && scripted.status >= 300) return reply(response, scripted);
      accepted.push(messageOf(to, body));
      if (scripted) return reply(response, scripted);
      sequence += 1;
      reply(response, graphMessageAccepted(to, `wamid.peer${sequence}`));
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  peer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return peer;
}
