// Builds the pooled nodemailer SMTP transport used when no transport is injected.
// Sockets are opened with Nagle's algorithm off: SMTP is a string of small command/reply round trips,
// and with Nagle on each one can wait out the peer's delayed ACK (~40 ms), capping a connection at a
// couple of dozen messages a second.

import net from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import nodemailer from 'nodemailer';
import type { EmailSendInfo, EmailTransport } from './email-transport';

export interface EmailSmtpSettings {
  host: string;
  /** Defaults to 465 when `secure`, else 587. */
  port?: number;
  /** TLS from the first byte (port 465). Otherwise STARTTLS is used when the server offers it. */
  secure?: boolean;
  /** Refuse to send unless the connection is upgraded with STARTTLS. */
  requireTLS?: boolean;
  /** Never try STARTTLS (test servers, local relays). */
  ignoreTLS?: boolean;
  tls?: ConnectionOptions;
  auth?: { user: string; pass: string };
  /** The client host name announced in EHLO. */
  name?: string;
  /** Connections kept open at once (default 5). */
  maxConnections?: number;
  /** Messages sent over one connection before it is replaced (default 100). */
  maxMessages?: number;
  /** At most this many messages per `rateDelta` (default: no limit). */
  rateLimit?: number;
  /** The window for `rateLimit`, in ms (default 1,000). */
  rateDelta?: number;
  /** ms to wait for the TCP connection (default 30,000). */
  connectionTimeout?: number;
  /** ms to wait for the server greeting (default 30,000). */
  greetingTimeout?: number;
  /** ms of inactivity before a socket is closed (default 600,000). */
  socketTimeout?: number;
  /** Open sockets with `setNoDelay(true)` (default true). `false` keeps Node's default, Nagle on. */
  noDelay?: boolean;
}

type SocketCallback = (error: Error | null, socketOptions?: { connection: net.Socket } | false) => void;

/**
 * A nodemailer `getSocket` hook that opens the TCP connection itself with `noDelay`. nodemailer takes the
 * open socket as is and performs the TLS handshake or STARTTLS upgrade on top of it, as it would on its own.
 */
export function createNoDelaySocketOpener(
  host: string,
  port: number,
  connectionTimeoutMs: number,
): (options: unknown, callback: SocketCallback) => void {
  return (_options, callback) => {
    let settled = false;
    const socket = net.connect({ host, port, noDelay: true });
    const finish = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeListener('error', onError);
      if (error) {
        socket.destroy();
        callback(error);
        return;
      }
      socket.setKeepAlive(true);
      callback(null, { connection: socket });
    };
    const onError = (error: Error): void => finish(error);
    const timer = setTimeout(() => {
      const error = new Error(`Connection to ${host}:${port} timed out after ${connectionTimeoutMs} ms`);
      (error as Error & { code: string }).code = 'ETIMEDOUT';
      finish(error);
    }, connectionTimeoutMs);
    timer.unref();
    socket.once('error', onError);
    socket.once('connect', () => finish(null));
  };
}

export interface BuiltSmtpTransport extends EmailTransport {
  close(): void;
}

/** A pooled SMTP transport from plain options. */
export function createSmtpTransport(settings: EmailSmtpSettings): BuiltSmtpTransport {
  const secure = settings.secure ?? false;
  const port = settings.port ?? (secure ? 465 : 587);
  const connectionTimeout = settings.connectionTimeout ?? 30_000;
  const options: Record<string, unknown> = {
    pool: true,
    host: settings.host,
    port,
    secure,
    maxConnections: settings.maxConnections ?? 5,
    maxMessages: settings.maxMessages ?? 100,
    connectionTimeout,
    greetingTimeout: settings.greetingTimeout ?? 30_000,
    socketTimeout: settings.socketTimeout ?? 600_000,
  };
  if (settings.requireTLS !== undefined) options.requireTLS = settings.requireTLS;
  if (settings.ignoreTLS !== undefined) options.ignoreTLS = settings.ignoreTLS;
  if (settings.tls !== undefined) options.tls = settings.tls;
  if (settings.auth !== undefined) options.auth = settings.auth;
  if (settings.name !== undefined) options.name = settings.name;
  if (settings.rateLimit !== undefined) options.rateLimit = settings.rateLimit;
  if (settings.rateDelta !== undefined) options.rateDelta = settings.rateDelta;
  if (settings.noDelay !== false) {
    options.getSocket = createNoDelaySocketOpener(settings.host, port, connectionTimeout);
  }
  const transport = nodemailer.createTransport(options);
  return {
    sendMail: (message) =>
      transport.sendMail(message as Parameters<typeof transport.sendMail>[0]) as Promise<EmailSendInfo>,
    close: () => transport.close(),
  };
}
