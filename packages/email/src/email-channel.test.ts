import { getEventListeners } from 'node:events';
import net from 'node:net';
import { ConfigurationError, DeliveryError, html, type Recipient } from '@herald/core';
import type { Channel, SendRequest } from '@herald/core/spec';
import { type ReceivedMail, type SmtpPeer, type SmtpPeerOptions, startSmtpPeer } from '@herald/test-peers/smtp';
import { createSendRequest, rejectionOf } from '@herald/testing';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmailChannel, type EmailChannelSettings } from './email-channel';
import type { EmailContent } from './email-content';
import type { EmailTransport } from './email-transport';

const bob: Recipient = { id: 'user-bob', email: 'bob@example.test', name: 'Bob Stone' };

function request(overrides: Partial<SendRequest<EmailContent>> = {}): SendRequest<EmailContent> {
  const content = { subject: 'Ticket assigned', text: 'You have a ticket.' };
  return createSendRequest<EmailContent>(content, { type: 'ticket.assigned', recipient: bob, ...overrides });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Channels first (their pools say QUIT), then the servers.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function peer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const started = await startSmtpPeer(options);
  cleanups.push(() => started.close());
  return started;
}

function channelFor(
  server: { host: string; port: number },
  settings: Partial<EmailChannelSettings> = {},
  smtp: Partial<NonNullable<EmailChannelSettings['smtp']>> = {},
): Channel<'email'> {
  const channel = createEmailChannel({
    smtp: { host: server.host, port: server.port, ignoreTLS: true, connectionTimeout: 5_000, ...smtp },
    from: 'Acme Desk <desk@acme.test>',
    ...settings,
  });
  cleanups.push(() => channel.close?.() ?? Promise.resolve());
  return channel;
}

const failure = (call: Promise<unknown>): Promise<DeliveryError> => rejectionOf(call, DeliveryError);

function header(mail: ReceivedMail, key: string): string | undefined {
  // Unfolded (RFC 5322 2.2.3): a long header may be wrapped onto continuation lines.
  return mail.parsed.headerLines.find((entry) => entry.key === key)?.line.replace(/\r?\n(?=[ \t])/g, '');
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('createEmailChannel: what arrives', () => {
  it('delivers subject, from, to, escaped HTML and a text part derived from it', async () => {
    const server = await peer();
    const channel = channelFor(server);
    const title = 'Tom & "Jerry" <script>alert(1)</script>';
    const result = await channel.send(
      request({
        deliveryId: 'n0000abc.0.email',
        content: {
          subject: `Assigned: ${title}`,
          html: html`<h1>Ticket assigned</h1><p>Hi ${bob.name}, <b>${title}</b> is yours.</p>
            <p><a href="https://desk.acme.test/tickets/42?x=1&amp;y=2">Open the ticket</a></p>
            <ul><li>Priority: high</li><li>Due: Friday</li></ul>`,
        },
      }),
    );

    expect(result).toEqual({
      status: 'sent',
      providerMessageId: '<n0000abc.0.email@acme.test>',
      detail: expect.stringMatching(/^250 /),
    });
    const [mail] = await server.waitForMessages(1);
    if (!mail) throw new Error('no mail');
    expect(mail.envelopeFrom).toBe('desk@acme.test');
    expect(mail.envelopeTo).toEqual(['bob@example.test']);
    expect(mail.parsed.subject).toBe(`Assigned: ${title}`);
    expect(mail.parsed.from?.value).toEqual([{ name: 'Acme Desk', address: 'desk@acme.test' }]);
    expect(mail.parsed.messageId).toBe('<n0000abc.0.email@acme.test>');
    const to = Array.isArray(mail.parsed.to) ? mail.parsed.to[0] : mail.parsed.to;
    expect(to?.value).toEqual([{ name: 'Bob Stone', address: 'bob@example.test' }]);

    // The interpolated title is escaped in the HTML: no live <script> reaches the recipient.
    expect(mail.parsed.html).toContain('<b>Tom &amp; &quot;Jerry&quot; &lt;script&gt;alert(1)&lt;/script&gt;</b>');
    expect(mail.parsed.html).not.toContain('<script>');
    // The derived text part reads as prose: entities decoded, the link's address beside its words.
    expect(mail.parsed.text?.trim()).toBe(
      [
        'Ticket assigned',
        '',
        `Hi Bob Stone, ${title} is yours.`,
        '',
        'Open the ticket (https://desk.acme.test/tickets/42?x=1&y=2)',
        '',
        '- Priority: high',
        '- Due: Friday',
      ].join('\n'),
    );
    expect(header(mail, 'list-unsubscribe')).toBeUndefined();
  });

  it('uses the given text part as is, and sends text-only content without an HTML part', async () => {
    const server = await peer();
    const channel = channelFor(server);
    await channel.send(request({ content: { subject: 'Both', html: '<p>Rich</p>', text: 'Plain words' } }));
    await channel.send(request({ content: { subject: 'Text only', text: 'Only text' } }));
    const [both, textOnly] = await server.waitForMessages(2);
    expect(both?.parsed.text?.trim()).toBe('Plain words');
    expect(both?.parsed.html).toContain('<p>Rich</p>');
    expect(textOnly?.parsed.text?.trim()).toBe('Only text');
    expect(textOnly?.parsed.html).toBe(false);
  });

  it('adds List-Unsubscribe with one-click POST for a URL and a mailto', async () => {
    const server = await peer();
    const channel = channelFor(server, {
      listUnsubscribe: { url: 'https://acme.test/unsubscribe?u=1', mailto: 'unsubscribe@acme.test' },
    });
    await channel.send(request());
    const [mail] = await server.waitForMessages(1);
    if (!mail) throw new Error('no mail');
    expect(header(mail, 'list-unsubscribe')).toBe(
      'List-Unsubscribe: <https://acme.test/unsubscribe?u=1>, <mailto:unsubscribe@acme.test>',
    );
    expect(header(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  });

  it('takes per-recipient unsubscribe links from a function; a mailto alone gets no one-click header', async () => {
    const server = await peer();
    const channel = channelFor(server, {
      listUnsubscribe: (sent) =>
        sent.recipient.id === 'user-bob' ? { mailto: `mailto:unsubscribe+${sent.recipient.id}@acme.test` } : undefined,
    });
    await channel.send(request());
    await channel.send(request({ recipient: { id: 'user-ann', email: 'ann@example.test' } }));
    const [toBob, toAnn] = await server.waitForMessages(2);
    if (!toBob || !toAnn) throw new Error('no mail');
    expect(header(toBob, 'list-unsubscribe')).toBe('List-Unsubscribe: <mailto:unsubscribe+user-bob@acme.test>');
    expect(header(toBob, 'list-unsubscribe-post')).toBeUndefined();
    expect(header(toAnn, 'list-unsubscribe')).toBeUndefined();
  });

  it('carries custom headers, attachments, a reply-to and a per-message sender name', async () => {
    const server = await peer();
    const channel = channelFor(server, { replyTo: { name: 'Support', address: 'support@acme.test' } });
    await channel.send(
      request({
        content: {
          subject: 'Report',
          fromName: 'Ann via Acme',
          text: 'See attached.',
          headers: { 'X-Ticket-Id': '42' },
          attachments: [
            { filename: 'report.csv', content: 'a,b\n1,2\n', contentType: 'text/csv' },
            { filename: 'blob.bin', content: new Uint8Array([0, 1, 2, 255]) },
          ],
        },
      }),
    );
    const [mail] = await server.waitForMessages(1);
    if (!mail) throw new Error('no mail');
    expect(mail.parsed.from?.value).toEqual([{ name: 'Ann via Acme', address: 'desk@acme.test' }]);
    expect(mail.parsed.replyTo?.value).toEqual([{ name: 'Support', address: 'support@acme.test' }]);
    expect(mail.parsed.headers.get('x-ticket-id')).toBe('42');
    expect(mail.parsed.attachments.map((file) => [file.filename, file.contentType, [...file.content]])).toEqual([
      ['report.csv', 'text/csv', [...Buffer.from('a,b\n1,2\n')]],
      ['blob.bin', 'application/octet-stream', [0, 1, 2, 255]],
    ]);
  });

  it('uses the delivery id as a stable Message-ID across attempts', async () => {
    const server = await peer();
    const channel = channelFor(server);
    const first = request({ deliveryId: 'n0000stable.3.email' });
    const firstResult = await channel.send(first);
    const retryResult = await channel.send({ ...first, attempt: 2, signal: new AbortController().signal });
    await channel.send(request({ deliveryId: 'odd id:with/chars' }));
    const mails = await server.waitForMessages(3);
    expect(mails.map((mail) => mail.parsed.messageId)).toEqual([
      '<n0000stable.3.email@acme.test>',
      '<n0000stable.3.email@acme.test>',
      '<odd=20id=3Awith/chars@acme.test>',
    ]);
    expect(firstResult).toMatchObject({ providerMessageId: '<n0000stable.3.email@acme.test>' });
    expect(retryResult).toMatchObject({ providerMessageId: '<n0000stable.3.email@acme.test>' });
  });

  it('keeps a recipient name with line breaks from reaching the headers as such', async () => {
    const server = await peer();
    const channel = channelFor(server);
    await channel.send(
      request({ recipient: { id: 'user-eve', email: 'eve@example.test', name: 'Eve\r\nBcc: x@evil.test' } }),
    );
    const [mail] = await server.waitForMessages(1);
    if (!mail) throw new Error('no mail');
    const to = Array.isArray(mail.parsed.to) ? mail.parsed.to[0] : mail.parsed.to;
    expect(to?.value).toEqual([{ name: 'Eve Bcc: x@evil.test', address: 'eve@example.test' }]);
    expect(mail.parsed.bcc).toBeUndefined();
    expect(mail.envelopeTo).toEqual(['eve@example.test']);
  });

  it('upgrades its noDelay socket with STARTTLS when the server offers it', async () => {
    const server = await peer({ tls: 'starttls' });
    const channel = channelFor(server, {}, { ignoreTLS: false, requireTLS: true, tls: { rejectUnauthorized: false } });
    await expect(channel.send(request())).resolves.toMatchObject({ status: 'sent' });
    expect(server.secureSessions).toEqual([true]);
  });

  it('speaks TLS from the first byte over its noDelay socket when secure', async () => {
    const server = await peer({ tls: 'implicit' });
    const channel = channelFor(server, {}, { secure: true, tls: { rejectUnauthorized: false } });
    await expect(channel.send(request())).resolves.toMatchObject({ status: 'sent' });
    expect(server.secureSessions).toEqual([true]);
  });

  it('refuses an untrusted certificate as CONFIGURATION', async () => {
    const server = await peer({ tls: 'implicit' });
    const channel = channelFor(server, {}, { secure: true });
    const error = await failure(channel.send(request()));
    expect(error).toMatchObject({ code: 'CONFIGURATION', retryable: false, providerCode: 'ESOCKET' });
    expect(error.message).toContain('certificate');
    expect(server.received).toEqual([]);
    expect(error).toMatchObject({ code: 'CONFIGURATION', retryable: false });
    expect(server.received).toEqual([]);
  });

  it('sends with Nagle left on when noDelay is false', async () => {
    const server = await peer();
    const channel = channelFor(server, {}, { noDelay: false });
    await expect(channel.send(request())).resolves.toMatchObject({ status: 'sent' });
    expect(server.acceptedCount()).toBe(1);
  });
});

describe('createEmailChannel: recipients and bad content', () => {
  it('skips a recipient without an email address, without touching the server', async () => {
    const server = await peer();
    const channel = channelFor(server);
    for (const recipient of [{ id: 'user-1' }, { id: 'user-2', email: '' }, { id: 'user-3', email: '   ' }]) {
      await expect(channel.send(request({ recipient }))).resolves.toEqual({
        status: 'skipped',
        reason: 'recipient has no email address',
        code: 'no-address',
      });
    }
    expect(server.connectionCount()).toBe(0);
  });

  it.each([
    ['no domain', 'bob'],
    ['a line break', 'bob@example.test\r\nRCPT TO:<eve@evil.test>'],
    ['two addresses', 'bob@example.test, eve@evil.test'],
  ])('refuses an email address with %s as INVALID_RECIPIENT and sends nothing', async (_label, email) => {
    const server = await peer();
    const channel = channelFor(server);
    const error = await failure(channel.send(request({ recipient: { id: 'user-x', email } })));
    expect(error.code).toBe('INVALID_RECIPIENT');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('Recipient user-x has an unusable email address.');
    expect(server.connectionCount()).toBe(0);
  });

  const badContent: [string, EmailContent, string][] = [
    [
      'CR/LF in the subject',
      { subject: 'Hello\r\nBcc: everyone@example.test', text: 'x' },
      'email content: subject contains a CR, LF or NUL character; remove line breaks from it.',
    ],
    [
      'a bare LF in the subject',
      { subject: 'Hello\nthere', text: 'x' },
      'email content: subject contains a CR, LF or NUL character; remove line breaks from it.',
    ],
    [
      'NUL in the subject',
      { subject: 'Hello\0', text: 'x' },
      'email content: subject contains a CR, LF or NUL character; remove line breaks from it.',
    ],
    [
      'CR in the sender name',
      { subject: 'Hi', fromName: 'Ann\rBcc: x@evil.test', text: 'x' },
      'email content: fromName contains a CR, LF or NUL character; remove line breaks from it.',
    ],
    [
      'LF in a header value',
      { subject: 'Hi', text: 'x', headers: { 'X-Tag': 'a\nBcc: x@evil.test' } },
      'email content: headers.X-Tag contains a CR, LF or NUL character; remove line breaks from it.',
    ],
    [
      'a header name with a space',
      { subject: 'Hi', text: 'x', headers: { 'X Tag': 'a' } },
      'email content: "X Tag" is not a valid header name.',
    ],
    [
      'a header the channel sets',
      { subject: 'Hi', text: 'x', headers: { Bcc: 'x@evil.test' } },
      'email content: the Bcc header is set by the email channel; use the content fields instead.',
    ],
    [
      'a line break in an attachment name',
      { subject: 'Hi', text: 'x', attachments: [{ filename: 'a\r\n.txt', content: 'x' }] },
      'email content: attachments.0.filename contains a CR, LF or NUL character; remove line breaks from it.',
    ],
    [
      'attachment content that is neither text nor bytes',
      { subject: 'Hi', text: 'x', attachments: [{ filename: 'a.txt', content: 42 as unknown as string }] },
      'email content: attachments.0.content must be a string or bytes.',
    ],
    [
      'html that is neither a string nor SafeHtml',
      { subject: 'Hi', html: { value: '<p>x</p>' } as unknown as string },
      'email content: html must be a string or the result of the html`…` tag.',
    ],
    ['neither html nor text', { subject: 'Hi' } as EmailContent, 'email content needs html, text or both.'],
  ];

  it.each(badContent)(
    'refuses %s as INVALID_CONTENT; the server receives nothing',
    async (_label, content, message) => {
      const server = await peer();
      const channel = channelFor(server);
      const error = await failure(channel.send(request({ content })));
      expect(error.code).toBe('INVALID_CONTENT');
      expect(error.retryable).toBe(false);
      expect(error.message).toBe(message);
      expect(server.connectionCount()).toBe(0);
      expect(server.recipientAttempts).toEqual([]);
      // The channel is unharmed: the next message goes out.
      await expect(channel.send(request())).resolves.toMatchObject({ status: 'sent' });
      expect(server.received.map((mail) => mail.parsed.subject)).toEqual(['Ticket assigned']);
    },
  );

  it('refuses a line break in a per-request unsubscribe link as INVALID_CONTENT', async () => {
    const server = await peer();
    const channel = channelFor(server, { listUnsubscribe: () => ({ url: 'https://acme.test/u\r\nBcc: x@evil.test' }) });
    const error = await failure(channel.send(request()));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toBe(
      'email content: listUnsubscribe.url contains a CR, LF or NUL character; remove line breaks from it.',
    );
    expect(server.connectionCount()).toBe(0);
  });
});

describe('createEmailChannel: SMTP failures', () => {
  it('classifies a 451 greylisting reply as RATE_LIMITED and a plain 451 as UNAVAILABLE, both retryable', async () => {
    const server = await peer({
      onRecipient: (address) =>
        address.startsWith('grey')
          ? { code: 451, message: '4.7.1 Greylisted, please try again later' }
          : { code: 451, message: '4.3.0 Local error in processing' },
    });
    const channel = channelFor(server);
    const greylisted = await failure(channel.send(request({ recipient: { id: 'g', email: 'grey@example.test' } })));
    expect(greylisted).toMatchObject({ code: 'RATE_LIMITED', retryable: true, providerCode: 451 });
    const deferred = await failure(channel.send(request()));
    expect(deferred).toMatchObject({ code: 'UNAVAILABLE', retryable: true, providerCode: 451 });
    expect(deferred.message).toContain('451 at RCPT TO');
    expect(server.received).toEqual([]);
  });

  it('classifies 550 at RCPT TO as INVALID_RECIPIENT, not retryable', async () => {
    const server = await peer({ onRecipient: () => ({ code: 550, message: '5.1.1 No such user here' }) });
    const channel = channelFor(server);
    const error = await failure(channel.send(request()));
    expect(error).toMatchObject({ code: 'INVALID_RECIPIENT', retryable: false, providerCode: 550 });
    expect(error.message).toContain('No such user here');
    expect(server.recipientAttempts).toEqual(['bob@example.test']);
    expect(server.received).toEqual([]);
  });

  it('classifies 554 after DATA as INVALID_CONTENT, not retryable', async () => {
    const server = await peer({ onMessage: () => ({ code: 554, message: '5.7.1 Message rejected as spam' }) });
    const channel = channelFor(server);
    const error = await failure(channel.send(request()));
    expect(error).toMatchObject({ code: 'INVALID_CONTENT', retryable: false, providerCode: 554 });
    expect(server.received).toEqual([]);
  });

  it('classifies a refused connection (closed port) as retryable UNAVAILABLE', async () => {
    const port = await closedPort();
    const channel = channelFor({ host: '127.0.0.1', port });
    const error = await failure(channel.send(request()));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true, providerCode: 'ECONNREFUSED' });
  });

  it('classifies a refused connection as UNAVAILABLE with Nagle left on, too', async () => {
    const port = await closedPort();
    const channel = channelFor({ host: '127.0.0.1', port }, {}, { noDelay: false });
    const error = await failure(channel.send(request()));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
  });

  it('classifies a server that accepts the connection but never greets as retryable TIMEOUT', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const { port } = silent.address() as net.AddressInfo;
    const channel = channelFor({ host: '127.0.0.1', port }, {}, { greetingTimeout: 200 });
    const error = await failure(channel.send(request()));
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true, providerCode: 'ETIMEDOUT' });
    expect(sockets.length).toBeGreaterThan(0);
  });

  it('classifies bad credentials as CONFIGURATION, not retryable; good ones send', async () => {
    const server = await peer({ credentials: { user: 'herald', pass: 'right' } });
    const wrong = channelFor(server, {}, { auth: { user: 'herald', pass: 'wrong' } });
    const error = await failure(wrong.send(request()));
    expect(error).toMatchObject({ code: 'CONFIGURATION', retryable: false, providerCode: 535 });
    expect(error.message).toContain('Check the SMTP credentials');
    expect(server.received).toEqual([]);

    const right = channelFor(server, {}, { auth: { user: 'herald', pass: 'right' } });
    await expect(right.send(request())).resolves.toMatchObject({ status: 'sent' });
  });

  it('treats our recipient refused in a partly accepted envelope (LMTP) as INVALID_RECIPIENT', async () => {
    const server = await peer({ lmtp: true, onMessage: () => ({ code: 550, message: '5.2.1 Mailbox disabled' }) });
    const transport = nodemailer.createTransport({ host: server.host, port: server.port, lmtp: true, ignoreTLS: true });
    cleanups.push(async () => transport.close());
    const channel = createEmailChannel({ transport, from: 'desk@acme.test' });
    const error = await failure(channel.send(request()));
    expect(error).toMatchObject({ code: 'INVALID_RECIPIENT', retryable: false, providerCode: 550 });
  });

  it('keeps a deferral in a partly accepted envelope (LMTP) retryable', async () => {
    const server = await peer({ lmtp: true, onMessage: () => ({ code: 452, message: '4.2.2 Mailbox full' }) });
    const transport = nodemailer.createTransport({ host: server.host, port: server.port, lmtp: true, ignoreTLS: true });
    cleanups.push(async () => transport.close());
    const channel = createEmailChannel({ transport, from: 'desk@acme.test' });
    const error = await failure(channel.send(request()));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true, providerCode: 452 });
  });
});

describe('createEmailChannel: abort and close', () => {
  it('rejects with a retryable TIMEOUT when the signal is already aborted, sending nothing', async () => {
    const server = await peer();
    const channel = channelFor(server);
    const controller = new AbortController();
    controller.abort(new Error('attempt timed out'));
    const error = await failure(channel.send(request({ signal: controller.signal })));
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(server.connectionCount()).toBe(0);
  });

  it('rejects promptly when the signal aborts while the server is still answering', async () => {
    let release: () => void = () => {};
    let dataArrived: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      dataArrived = resolve;
    });
    const server = await peer({
      onMessage: () =>
        new Promise((resolve) => {
          release = () => resolve(undefined);
          dataArrived();
        }),
    });
    const channel = channelFor(server);
    const controller = new AbortController();
    const sending = failure(channel.send(request({ signal: controller.signal })));
    await arrived;
    controller.abort(new Error('attempt timed out'));
    const error = await sending;
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(error.cause).toEqual(new Error('attempt timed out'));
    // The server had not answered yet when the send gave up.
    expect(server.acceptedCount()).toBe(0);
    release();
    await server.waitForMessages(1);
  });

  it('watches a signal shared by many sends with one listener, and rejects them all when it aborts', async () => {
    let release: () => void = () => {};
    const held = new Promise<undefined>((resolve) => {
      release = () => resolve(undefined);
    });
    const server = await peer({ onMessage: () => held });
    const channel = channelFor(server);
    const controller = new AbortController();
    const sends = Array.from({ length: 20 }, () => failure(channel.send(request({ signal: controller.signal }))));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('shutting down'));
    const errors = await Promise.all(sends);
    expect(errors.map((error) => error.code)).toEqual(Array.from({ length: 20 }, () => 'TIMEOUT'));
    expect(server.acceptedCount()).toBe(0);
    release();
  });

  it('closes a transport it built, once; later sends fail as UNAVAILABLE', async () => {
    const server = await peer();
    const channel = channelFor(server);
    await channel.send(request());
    await channel.close?.();
    await channel.close?.();
    const error = await failure(channel.send(request()));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(error.message).toBe('The email channel is closed; it sends nothing more.');
    expect(server.acceptedCount()).toBe(1);
  });

  it('leaves an injected transport open on close', async () => {
    const server = await peer();
    const transport = nodemailer.createTransport({ host: server.host, port: server.port, pool: true, ignoreTLS: true });
    cleanups.push(async () => transport.close());
    const channel = createEmailChannel({ transport, from: 'desk@acme.test', id: 'relay' });
    expect(channel.id).toBe('relay');
    await channel.send(request());
    await channel.close?.();
    await transport.sendMail({ from: 'desk@acme.test', to: 'bob@example.test', subject: 'Still open', text: 'yes' });
    const mails = await server.waitForMessages(2);
    expect(mails.map((mail) => mail.parsed.subject)).toEqual(['Ticket assigned', 'Still open']);
  });
});

describe('createEmailChannel: settings', () => {
  const transport: EmailTransport = nodemailer.createTransport({ jsonTransport: true });

  it.each<[string, EmailChannelSettings, string]>([
    [
      'neither smtp nor transport',
      { from: 'desk@acme.test' },
      'createEmailChannel: give smtp options (e.g. { host, port, auth }) or a nodemailer transport.',
    ],
    [
      'both smtp and transport',
      { from: 'desk@acme.test', transport, smtp: { host: 'localhost' } },
      'createEmailChannel: give either transport or smtp, not both.',
    ],
    [
      'an smtp without host',
      { from: 'desk@acme.test', smtp: { host: '' } },
      'createEmailChannel: smtp.host is required.',
    ],
    [
      'a from without an address',
      { from: 'Acme Desk', transport },
      'createEmailChannel: from has no usable address (got "Acme Desk").',
    ],
    [
      'a from with a line break',
      { from: 'Acme\r\nBcc: x@evil.test <desk@acme.test>', transport },
      'createEmailChannel: from contains a line break or NUL.',
    ],
    [
      'a from name with a line break',
      { from: { name: 'Acme\nDesk', address: 'desk@acme.test' }, transport },
      'createEmailChannel: from has a name with a line break or NUL.',
    ],
    [
      'a non-http unsubscribe URL',
      { from: 'desk@acme.test', transport, listUnsubscribe: { url: 'javascript:alert(1)' } },
      'createEmailChannel: listUnsubscribe.url must be an http(s) URL without spaces or angle brackets (got "javascript:alert(1)").',
    ],
  ])('throws ConfigurationError for %s', (_label, settings, message) => {
    expect(() => createEmailChannel(settings)).toThrow(new ConfigurationError(message));
  });

  it('declares the email kind, spec v1, the smtp id and no batch form', () => {
    const channel = createEmailChannel({ transport, from: '"Acme Desk" <desk@acme.test>' });
    expect(channel).toMatchObject({ specificationVersion: 'v1', kind: 'email', id: 'smtp' });
    expect(channel.sendBatch).toBeUndefined();
    expect(channel.capabilities?.maxBatchSize).toBeUndefined();
  });
});
