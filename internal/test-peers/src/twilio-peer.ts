// A local HTTP server speaking Twilio's Messages API (create), for tests.

import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TwilioPeerRequest {
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  form: Record<string, string>;
}

export interface TwilioPeerReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface TwilioPeer {
  url: string;
  accountSid: string;
  authToken: string;
  requests: TwilioPeerRequest[];
  /** Replies for the next well-formed, authorised requests, in order; then the default 201. */
  queue: TwilioPeerReply[];
  close(): Promise<void>;
}

export function twilioError(code: number, message: string, status = 400): TwilioPeerReply {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

function reply(response: ServerResponse, answer: TwilioPeerReply): void {
  response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  response.end(JSON.stringify(answer.body));
}

/** Starts the peer on a free loopback port; it checks basic auth, the path and the form like Twilio does. */
export async function startTwilioPeer(options: { accountSid?: string; authToken?: string } = {}): Promise<TwilioPeer> {
  const accountSid = options.accountSid ?? 'AC0123456789abcdef0123456789abcdef';
  const authToken = options.authToken ?? 'twilio-auth-token';
  let sequence = 0;
  let server: Server | undefined;
  const peer: TwilioPeer = {
    url: '',
    accountSid,
    authToken,
    requests: [],
    queue: [],
    async close() {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    },
  };
  server = createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const seen: TwilioPeerRequest = {
        path: request.url ?? '',
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        form,
      };
      peer.requests.push(seen);
      const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
      if (seen.authorization !== expected) return reply(response, twilioError(20003, 'Authenticate', 401));
      if (request.method !== 'POST' || seen.path !== `/2010-04-01/Accounts/${accountSid}/Messages.json`) {
        return reply(response, twilioError(20404, 'The requested resource was not found', 404));
      }
      if (!/^whatsapp:\+[1-9]\d{6,14}$/.test(form.To ?? '')) {
        return reply(response, twilioError(21211, `Invalid 'To' Phone Number: ${form.To}`));
      }
      if (!/^whatsapp:\+[1-9]\d{6,14}$/.test(form.From ?? '')) {
        return reply(response, twilioError(21212, `Invalid 'From' Number: ${form.From}`));
      }
      if (form.Body === undefined && form.ContentSid === undefined) {
        return reply(response, twilioError(21602, 'Message body is required.'));
      }
      const scripted = peer.queue.shift();
      if (scripted) return reply(response, scripted);
      sequence += 1;
      reply(response, {
        status: 201,
        body: {
          sid: `SM${String(sequence).padStart(32, '0')}`,
          account_sid: accountSid,
          to: form.To,
          from: form.From,
          body: form.Body ?? '',
          status: 'queued',
          num_segments: '1',
          direction: 'outbound-api',
          api_version: '2010-04-01',
        },
      });
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  peer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return peer;
}
