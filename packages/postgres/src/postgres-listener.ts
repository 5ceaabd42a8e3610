// One LISTEN session, shared by everything in a process that waits for NOTIFY signals (the outbox wake-up, the
// realtime relay). LISTEN needs a session connection of its own: a client checked out of the host's pool and held
// (re-checked-out after the connection drops, with a backoff), PGlite's in-process `listen`, or a connected Client.
// Not through PgBouncer in transaction mode, which hands each statement to any server connection.

import type { Logger } from '@herald/core/spec';
import {
  isListenable,
  isPool,
  type PostgresListenable,
  type PostgresPoolClient,
  type PostgresQueryable,
  sendStatement,
} from './postgres-client';

export interface PostgresListener {
  /** Delivers each payload sent on `channel`; resolves once LISTEN is in effect (or the session is down). */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => void>;
  /**
   * Runs on every session once its LISTENs are in effect, with that session (the realtime relay registers the
   * session's backend there); `reconnected` is false the first time. Signals sent while it was down are lost.
   */
  onSession(handler: (session: PostgresQueryable, reconnected: boolean) => Promise<void> | void): () => void;
  readonly isConnected: boolean;
  close(): Promise<void>;
}

const RECONNECT_BASE_MS = 250;
const RECONNECT_CAP_MS = 10_000;

type Handler = (payload: string) => void;
type SessionHandler = (session: PostgresQueryable, reconnected: boolean) => Promise<void> | void;

interface NotifyingClient extends PostgresQueryable {
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener?(event: string, listener: (...args: never[]) => void): unknown;
}

function isNotifyingClient(db: PostgresQueryable): db is NotifyingClient {
  return typeof (db as Partial<NotifyingClient>).on === 'function';
}

export function createPostgresListener(source: PostgresQueryable, logger: Logger): PostgresListener {
  const channels = new Map<string, Set<Handler>>();
  const sessionHandlers = new Set<SessionHandler>();
  let closed = false;
  let session: PostgresQueryable | undefined;
  let hadSession = false;

  function dispatch(channel: string, payload: string): void {
    for (const handler of channels.get(channel) ?? []) {
      try {
        handler(payload);
      } catch (error) {
        logger.error('herald postgres: a notification handler threw', { channel, error });
      }
    }
  }

  async function runSessionHandlers(current: PostgresQueryable, handlers: Iterable<SessionHandler>): Promise<void> {
    const reconnected = hadSession;
    for (const handler of handlers) await handler(current, reconnected);
  }

  // PGlite (or any object with its own listen): one in-process connection that never drops.
  if (isListenable(source)) {
    const listenable: PostgresListenable = source;
    const unlistens = new Map<string, Promise<() => Promise<void>>>();
    session = listenable;
    return {
      async listen(channel, onPayload) {
        let handlers = channels.get(channel);
        if (!handlers) {
          handlers = new Set();
          channels.set(channel, handlers);
          unlistens.set(
            channel,
            listenable.listen(channel, (payload) => dispatch(channel, payload)) as Promise<() => Promise<void>>,
          );
        }
        handlers.add(onPayload);
        await unlistens.get(channel);
        return () => {
          handlers.delete(onPayload);
        };
      },
      onSession(handler) {
        sessionHandlers.add(handler);
        void Promise.resolve(handler(listenable, false)).catch((error: unknown) =>
          logger.warn('herald postgres: a session handler failed', { error }),
        );
        return () => sessionHandlers.delete(handler);
      },
      get isConnected() {
        return !closed;
      },
      async close() {
        closed = true;
        for (const pending of unlistens.values()) await (await pending)().catch(() => undefined);
        unlistens.clear();
        channels.clear();
      },
    };
  }

  // node-postgres: a pool (a client is checked out and held) or a connected client given for this purpose.
  const pool = isPool(source) ? source : undefined;
  let connecting: Promise<void> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;

  async function attach(client: PostgresQueryable): Promise<void> {
    for (const channel of channels.keys()) await sendStatement(client, `LISTEN ${channel}`);
    await runSessionHandlers(client, sessionHandlers);
    hadSession = true;
  }

  function lost(client: PostgresQueryable, error?: Error): void {
    if (session !== client) return;
    session = undefined;
    if (pool) (client as PostgresPoolClient).release(error ?? true);
    if (closed) return;
    logger.warn('herald postgres: the LISTEN connection dropped; reconnecting', { error: error?.message });
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || retryTimer !== undefined || !pool) return;
    const delay = Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** Math.min(failures, 6));
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, delay);
    retryTimer.unref?.();
  }

  function connect(): Promise<void> {
    connecting ??= (async () => {
      let client: PostgresQueryable | undefined;
      try {
        client = pool ? await pool.connect() : source;
        if (closed) {
          if (pool) (client as PostgresPoolClient).release();
          return;
        }
        if (isNotifyingClient(client)) {
          const current = client;
          current.on('notification', ((message: { channel: string; payload?: string }) =>
            dispatch(message.channel, message.payload ?? '')) as never);
          current.on('error', ((error: Error) => lost(current, error)) as never);
          current.on('end', (() => lost(current)) as never);
        }
        session = client;
        await attach(client);
        failures = 0;
      } catch (error) {
        failures += 1;
        logger.warn('herald postgres: could not open the LISTEN connection; trying again', {
          error: error instanceof Error ? error.message : String(error),
        });
        if (client && session === client) lost(client, error instanceof Error ? error : new Error(String(error)));
        else scheduleReconnect();
      } finally {
        connecting = undefined;
      }
    })();
    return connecting;
  }

  return {
    async listen(channel, onPayload) {
      let handlers = channels.get(channel);
      if (!handlers) {
        handlers = new Set();
        channels.set(channel, handlers);
        if (session) await sendStatement(session, `LISTEN ${channel}`).catch(() => undefined);
      }
      handlers.add(onPayload);
      if (!session) await connect();
      return () => {
        handlers.delete(onPayload);
      };
    },
    onSession(handler) {
      sessionHandlers.add(handler);
      if (session) {
        const current = session;
        void Promise.resolve(handler(current, false)).catch((error: unknown) =>
          logger.warn('herald postgres: a session handler failed', { error }),
        );
      } else void connect();
      return () => sessionHandlers.delete(handler);
    },
    get isConnected() {
      return session !== undefined;
    },
    async close() {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      await connecting;
      const current = session;
      session = undefined;
      if (current) {
        await sendStatement(current, 'UNLISTEN *').catch(() => undefined);
        if (isNotifyingClient(current)) {
          (current as { removeAllListeners?: (event?: string) => unknown }).removeAllListeners?.('notification');
        }
        if (pool) (current as PostgresPoolClient).release();
      }
      channels.clear();
    },
  };
}
