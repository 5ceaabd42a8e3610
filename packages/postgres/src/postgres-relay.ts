// The realtime relay over PostgreSQL LISTEN / NOTIFY, for gateways without Redis. Every gateway LISTENs on one
// channel (`<schema>_realtime`) and keeps the users it holds sockets for (and the database session it listens on) in
// the `realtime_presence` / `realtime_gateways` tables, so a publish can tell how many other gateways will get it:
// a gateway whose session is gone (its process died) counts as nobody, and the delivery is `queued`.
//
// NOTIFY is a signal: payloads are capped at 8000 bytes, signals are only sent at commit and never replayed to a
// session that was away. An item too large to travel goes as its position (`item-at`): the gateway reads it from
// the store, as it does for any gap. Read-state messages with many ids are split over several signals.

import type { Logger, RealtimeRelay, RealtimeRelayMessage } from '@herald/core/spec';
import { silentLogger } from '@herald/core/spec';
import { type PostgresQueryable, sendStatement } from './postgres-client';
import { createPostgresListener } from './postgres-listener';
import { checkSchemaName, realtimeChannel } from './schema-name';

export interface PostgresRelaySettings {
  /** Publishes and presence writes run here: a node-postgres `Pool` or a `PGlite`. */
  db: PostgresQueryable;
  /**
   * The session connection each subscription LISTENs on (default: a client checked out of `db` and held, or PGlite
   * itself). Not a PgBouncer in transaction mode: LISTEN needs a session of its own.
   */
  listener?: PostgresQueryable | undefined;
  /** The schema `migrate()` created (default `herald`): its realtime tables, and the channel name. */
  schema?: string | undefined;
  logger?: Logger | undefined;
}

/** NOTIFY's payload limit is 8000 bytes; stay below it with room for the server's own accounting. */
export const MAX_SIGNAL_BYTES = 7_900;

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The payloads a message travels as, each under MAX_SIGNAL_BYTES. */
export function encodeSignals(message: RealtimeRelayMessage): string[] {
  const whole = JSON.stringify(message);
  if (byteLength(whole) <= MAX_SIGNAL_BYTES) return [whole];
  if (message.kind === 'item') {
    const { origin, item } = message;
    return [JSON.stringify({ kind: 'item-at', origin, userId: item.userId, position: item.position })];
  }
  if (message.kind === 'read' || message.kind === 'unread') {
    // Split the ids in halves until every part fits; each part carries the same counts.
    const parts: string[] = [];
    const split = (ids: string[]): void => {
      const text = JSON.stringify({ ...message, ids });
      if (byteLength(text) <= MAX_SIGNAL_BYTES || ids.length <= 1) {
        if (byteLength(text) <= MAX_SIGNAL_BYTES) parts.push(text);
        return;
      }
      const middle = Math.ceil(ids.length / 2);
      split(ids.slice(0, middle));
      split(ids.slice(middle));
    };
    split(message.ids);
    return parts;
  }
  return [];
}

function userOf(message: RealtimeRelayMessage): string {
  return message.kind === 'item' ? message.item.userId : message.userId;
}

/** A live gateway: its LISTEN session still exists (same backend pid, and start time where it is visible). */
function liveGateway(alias: string): string {
  return `EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = ${alias}.backend_pid
    AND (a.backend_start IS NULL OR a.backend_start = ${alias}.backend_start))`;
}

export function createPostgresRelay(settings: PostgresRelaySettings): RealtimeRelay {
  const schema = checkSchemaName(settings.schema);
  const channel = realtimeChannel(schema);
  const logger = settings.logger ?? silentLogger;
  const { db } = settings;

  const publishSql = `
WITH sent AS (
  SELECT pg_notify('${channel}', payload) FROM unnest($1::text[]) WITH ORDINALITY AS t(payload, ord) ORDER BY ord
)
SELECT (SELECT count(*) FROM sent)::text AS sent,
  (SELECT count(*) FROM ${schema}.realtime_presence p JOIN ${schema}.realtime_gateways g USING (gateway_id)
   WHERE p.user_id = $2 AND p.gateway_id <> $3 AND ${liveGateway('g')})::text AS receivers`;

  return {
    specificationVersion: 'v1',

    async publish(message) {
      const payloads = encodeSignals(message);
      try {
        const { rows } = await sendStatement(db, publishSql, [payloads, userOf(message), message.origin]);
        return Number(rows[0]?.receivers ?? 0);
      } catch (error) {
        logger.warn('herald postgres relay: NOTIFY failed; open sockets catch up by position', {
          error: error instanceof Error ? error.message : String(error),
        });
        return undefined;
      }
    },

    subscribe(subscriber) {
      const listener = createPostgresListener(settings.listener ?? db, logger);
      const gatewayId = subscriber.origin;
      let closed = false;
      let markRegistered: () => void = () => {};
      const registered = new Promise<void>((resolve) => {
        markRegistered = resolve;
      });
      const users = new Set<string>();
      let flushing: Promise<void> | undefined;
      const pendingAdds = new Set<string>();
      const pendingRemoves = new Set<string>();

      // Registered on the LISTEN session itself: its backend is what "this gateway is alive" means.
      listener.onSession(async (session, reconnected) => {
        await sendStatement(
          session,
          `INSERT INTO ${schema}.realtime_gateways (gateway_id, backend_pid, backend_start)
           SELECT $1, pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()
           ON CONFLICT (gateway_id) DO UPDATE
           SET backend_pid = EXCLUDED.backend_pid, backend_start = EXCLUDED.backend_start`,
          [gatewayId],
        );
        // Gateways whose process died left their rows: forget them (and their presence, by cascade).
        await sendStatement(
          session,
          `DELETE FROM ${schema}.realtime_gateways g WHERE gateway_id <> $1 AND NOT ${liveGateway('g')}`,
          [gatewayId],
        );
        markRegistered();
        if (reconnected) subscriber.onResubscribed();
      });
      const listening = listener.listen(channel, (payload) => {
        let message: RealtimeRelayMessage;
        try {
          message = JSON.parse(payload) as RealtimeRelayMessage;
        } catch {
          logger.warn('herald postgres relay: ignored a malformed signal');
          return;
        }
        if (message.origin === subscriber.origin) return;
        subscriber.onMessage(message);
      });

      /** Presence changes of one tick go out as two statements at most. */
      function flush(): Promise<void> {
        flushing ??= (async () => {
          await registered;
          await new Promise((resolve) => setImmediate(resolve));
          const adds = [...pendingAdds];
          const removes = [...pendingRemoves];
          pendingAdds.clear();
          pendingRemoves.clear();
          flushing = undefined;
          if (closed) return;
          if (removes.length > 0) {
            await sendStatement(
              db,
              `DELETE FROM ${schema}.realtime_presence WHERE gateway_id = $1 AND user_id = ANY($2::text[])`,
              [gatewayId, removes],
            );
          }
          if (adds.length > 0) {
            await sendStatement(
              db,
              `INSERT INTO ${schema}.realtime_presence (user_id, gateway_id)
               SELECT user_id, $1 FROM unnest($2::text[]) AS t(user_id) ON CONFLICT DO NOTHING`,
              [gatewayId, adds],
            );
          }
        })();
        return flushing;
      }

      return {
        async add(userId) {
          if (users.has(userId) && !pendingRemoves.has(userId)) return;
          users.add(userId);
          pendingRemoves.delete(userId);
          pendingAdds.add(userId);
          try {
            await listening;
            await flush();
          } catch (error) {
            users.delete(userId);
            logger.warn('herald postgres relay: registering a user failed', {
              userId,
              error: error instanceof Error ? error.message : String(error),
            });
          }
        },
        remove(userId) {
          if (!users.delete(userId)) return;
          pendingAdds.delete(userId);
          pendingRemoves.add(userId);
          flush().catch(() => undefined);
        },
        async close() {
          closed = true;
          users.clear();
          await sendStatement(db, `DELETE FROM ${schema}.realtime_gateways WHERE gateway_id = $1`, [gatewayId]).catch(
            () => undefined,
          );
          await listener.close();
        },
      };
    },
  };
}
