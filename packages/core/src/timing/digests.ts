// Digests beyond the join: closing one early (a flush, or `maxEvents` reached), what a digest delivery's builder
// sees, and taking a cancelled event back out.

import { digestDeliveryId } from '../dispatch-plan';
import type { AnyNotificationDefinition, DigestContext, DigestEventView } from '../notification';
import type { Runner } from '../spec/runner';
import type { DigestBucket, Store } from '../spec/store';
import { digestKeyOf } from './timing-decisions';

/** Moves a digest's close to `now` and its delivery tasks with it; whether the digest was still open. */
export async function expediteDigest(
  store: Store,
  runner: Pick<Runner, 'reschedule'>,
  bucket: { recipientId: string; digestId: string },
  definition: AnyNotificationDefinition,
  now: number,
): Promise<boolean> {
  const expedited = await store.expediteDigest(bucket.recipientId, bucket.digestId, new Date(now).toISOString());
  if (!expedited) return false;
  const ids = (definition.digest?.kinds ?? []).map((kind) => digestDeliveryId(bucket.digestId, kind));
  await runner.reschedule?.(ids, now);
  return true;
}

/** What the builder of a digest delivery sees: the latest event's payload, and the first and last events. */
export function digestRenderContext(
  bucket: DigestBucket,
  keep: number,
): { payload: unknown; actorId: string | undefined } & DigestContext<unknown> {
  const events = bucket.events;
  const views = (list: typeof events): DigestEventView<unknown>[] =>
    list.map((event) => ({
      payload: event.payload,
      createdAt: event.createdAt,
      ...(event.actorId === undefined ? {} : { actorId: event.actorId }),
    }));
  const shown =
    events.length <= 2 * keep ? views(events) : [...views(events.slice(0, keep)), ...views(events.slice(-keep))];
  const actorIds: string[] = [];
  const seen = new Set<string>();
  for (const event of events) {
    if (event.actorId === undefined || seen.has(event.actorId)) continue;
    seen.add(event.actorId);
    actorIds.push(event.actorId);
  }
  const latest = events[events.length - 1];
  return {
    payload: latest?.payload,
    actorId: latest?.actorId,
    events: shown,
    digest: { count: events.length, actorIds, omitted: events.length - shown.length },
  };
}

export interface DigestsApi {
  /**
   * Closes the open digests of a definition's key now — every recipient's, or one recipient's — instead of at the
   * end of their window; returns how many it closed.
   */
  flush(definition: AnyNotificationDefinition, options: { key?: string; recipientId?: string }): Promise<number>;
}

export function createDigestsApi(store: Store, runner: Runner, now: () => number): DigestsApi {
  return {
    async flush(definition, options = {}) {
      if (!definition.digest) return 0;
      const key = options.key ?? '';
      const prefix = digestKeyOf(definition.type, key, options.recipientId);
      const exact = options.recipientId === undefined ? undefined : prefix;
      let flushed = 0;
      let after: string | undefined;
      for (;;) {
        const page = await store.listOpenDigests(prefix, { limit: 100, ...(after === undefined ? {} : { after }) });
        for (const bucket of page) {
          if (exact !== undefined && bucket.key !== exact) continue;
          const moved = await expediteDigest(
            store,
            runner,
            { recipientId: bucket.recipientId, digestId: bucket.id },
            definition,
            now(),
          );
          if (moved) flushed += 1;
        }
        if (page.length < 100) return flushed;
        after = page[page.length - 1]?.id;
      }
    },
  };
}
