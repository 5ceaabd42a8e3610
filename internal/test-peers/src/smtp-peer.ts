// A real SMTP server on loopback for the tests: it records every message it accepts (parsed with
// mailparser) and can be told to answer a recipient or a message with an SMTP error.

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';

export interface SmtpReply {
  code: number;
  message: string;
}

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  raw: string;
  parsed: ParsedMail;
  receivedAt: Date;
}

/** One accepted message in plain fields (what a developer page lists). */
export interface ReceivedMailSummary {
  messageId: string | undefined;
  from: string;
  to: string[];
  subject: string;
  html: string | undefined;
  text: string | undefined;
  /** ISO 8601. */
  receivedAt: string;
}

export interface SmtpPeerOptions {
  /** Require AUTH PLAIN/LOGIN with these credentials. */
  credentials?: { user: string; pass: string };
  /** Decides the RCPT TO reply per recipient; `undefined` accepts. */
  onRecipient?: (address: string) => SmtpReply | undefined;
  /** Decides the reply after DATA (may take its time); `undefined` accepts. */
  onMessage?: (raw: string) => SmtpReply | undefined | Promise<SmtpReply | undefined>;
  /** `implicit`: TLS from the first byte (like port 465); `starttls`: offer STARTTLS. Uses smtp-server's localhost certificate. */
  tls?: 'implicit' | 'starttls';
  /** Speak LMTP: one reply per recipient after DATA, so a client can see a message partly refused. */
  lmtp?: boolean;
  /** Keep only a count of accepted messages, without parsing them (benchmarks). */
  countOnly?: boolean;
}

export interface SmtpPeer {
  host: string;
  port: number;
  received: ReceivedMail[];
  /** Messages accepted (also counted when `countOnly`). */
  acceptedCount(): number;
  /** SMTP sessions opened so far. */
  connectionCount(): number;
  /** Whether each accepted message arrived over TLS, in order. */
  secureSessions: boolean[];
  /** RCPT TO commands seen, accepted or not. */
  recipientAttempts: string[];
  /** Every accepted message so far, oldest first, in plain fields (not kept when `countOnly`). */
  listReceived(): ReceivedMailSummary[];
  /** Resolves once `count` messages have been accepted. */
  waitForMessages(count: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

function smtpError(reply: SmtpReply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

export async function startSmtpPeer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const received: ReceivedMail[] = [];
  const recipientAttempts: string[] = [];
  let accepted = 0;
  let connections = 0;
  const secureSessions: boolean[] = [];
  const waiters: { count: number; resolve: (mail: ReceivedMail[]) => void }[] = [];
  const notify = (): void => {
    for (const waiter of [...waiters]) {
      if (accepted >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(received);
      }
    }
  };

  const { credentials } = options;
  const server = new SMTPServer({
    secure: options.tls === 'implicit',
    lmtp: options.lmtp ?? false,
    disabledCommands: [...(options.tls === 'starttls' ? [] : ['STARTTLS']), ...(credentials ? [] : ['AUTH'])],
    // Plain-text AUTH over loopback, for the bad-credentials test only.
    allowInsecureAuth: true,
    authOptional: !credentials,
    logger: false,
    // Pooled clients keep sockets open; don't let a forgotten one hold close() for the default 30 s.
    closeTimeout: 500,
    size: 10 * 1024 * 1024,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (credentials && auth.username === credentials.user && auth.password === credentials.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      }
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error | null) => void) {
      recipientAttempts.push(address.address);
      const reply = options.onRecipient?.(address.address);
      callback(reply ? smtpError(reply) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        Promise.resolve(options.onMessage?.(raw)).then((reply) => {
          if (reply) callback(smtpError(reply));
          else accept(raw, session, callback);
        }, callback);
      });
    },
  });

  function accept(raw: string, session: SMTPServerSession, callback: (error?: Error | null) => void): void {
    const envelopeFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
    const envelopeTo = session.envelope.rcptTo.map((entry) => entry.address);
    secureSessions.push(session.secure);
    if (options.countOnly) {
      accepted += 1;
      callback(null);
      notify();
      return;
    }
    simpleParser(raw).then(
      (parsed) => {
        received.push({ envelopeFrom, envelopeTo, raw, parsed, receivedAt: new Date() });
        accepted += 1;
        callback(null);
        notify();
      },
      (error: Error) => callback(error),
    );
  }
  server.on('error', () => {
    // Client sockets dropping mid-session surface here; the tests assert on what was received instead.
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    received,
    recipientAttempts,
    acceptedCount: () => accepted,
    listReceived: () =>
      received.map((mail) => ({
        messageId: mail.parsed.messageId,
        from: mail.parsed.from?.text ?? mail.envelopeFrom,
        to: mail.envelopeTo,
        subject: mail.parsed.subject ?? '',
        html: typeof mail.parsed.html === 'string' ? mail.parsed.html : undefined,
        text: mail.parsed.text,
        receivedAt: mail.receivedAt.toISOString(),
      })),
    connectionCount: () => connections,
    secureSessions,
    waitForMessages(count) {
      if (accepted >= count) return Promise.resolve(received);
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
