// The store calls a chunk's timing needs before it is planned: the throttle slots its deliveries take and the
// digest buckets its events join. Both are idempotent per delivery / per event, so a resumed dispatch gets the
// answers the first attempt got.

import type { DigestPlacement } from '../dispatch-plan';
import { deliveryId as makeDeliveryId } from '../ids';
import type { AnyNotificationDefinition } from '../notification';
import type { Recipient } from '../recipient';
import type { ChannelKind } from '../spec/channel';
import type { DigestJoin, Preferences, Store, ThrottleRequest } from '../spec/store';
import { nextLocalTime } from './zoned-time';

/** Separates the parts of digest and throttle keys; no type, kind or id contains it. */
const SEPARATOR = '\u001f';

/** A throttle that spans every type: at most `limit` deliveries per recipient (per kind) in `perMs`. */
export interface ThrottleBudget {
  limit: number;
  perMs: number;
  kinds: readonly ChannelKind[] | undefined;
}

export interface ChunkContext {
  store: Store;
  definition: AnyNotificationDefinition;
  notificationId: string;
  payload: unknown;
  actorId: string | undefined;
  createdAt: string;
  kinds: readonly ChannelKind[];
  recipients: readonly Recipient[];
  firstIndex: number;
  preferences: ReadonlyMap<string, Preferences>;
  unknown: ReadonlySet<string>;
  now: number;
}

/** Whether a recipient has opted out of a kind (a type × kind choice wins over the kind-wide one). */
export function isOptedOut(preferences: Preferences | undefined, type: string, kind: ChannelKind): boolean {
  if (!preferences) return false;
  const typeChoice = preferences.types[type]?.[kind];
  if (typeChoice !== undefined) return !typeChoice;
  return preferences.channels[kind] === false;
}

function inScope(kinds: readonly ChannelKind[] | undefined, kind: ChannelKind): boolean {
  return kinds ? kinds.includes(kind) : kind !== 'inApp';
}

/** The delivery ids of the chunk over a throttle's limit (the definition's, or the settings' budget). */
export async function decideThrottles(context: ChunkContext, budget: ThrottleBudget | undefined): Promise<Set<string>> {
  const { definition, recipients, preferences } = context;
  const throttle = definition.throttle;
  const over = new Set<string>();
  if (definition.critical || (!throttle && !budget)) return over;
  const at = new Date(context.now).toISOString();
  const requests: ThrottleRequest[] = [];
  const asking: string[] = [];
  const typeKey = throttle?.key ? throttle.key({ payload: context.payload }) : '';
  recipients.forEach((recipient, offset) => {
    if (context.unknown.has(recipient.id)) return;
    for (const kind of context.kinds) {
      if (isOptedOut(preferences.get(recipient.id), definition.type, kind)) continue;
      const member = makeDeliveryId(context.notificationId, context.firstIndex + offset, kind);
      if (throttle && inScope(throttle.kinds, kind)) {
        const key = [definition.type, kind, typeKey].join(SEPARATOR);
        requests.push({ recipientId: recipient.id, key, member, limit: throttle.limit, windowMs: throttle.perMs, at });
        asking.push(member);
      }
      if (budget && inScope(budget.kinds, kind)) {
        const key = ['*', kind].join(SEPARATOR);
        requests.push({ recipientId: recipient.id, key, member, limit: budget.limit, windowMs: budget.perMs, at });
        asking.push(member);
      }
    }
  });
  if (requests.length === 0) return over;
  const answers = await context.store.takeThrottles(requests);
  answers.forEach((allowed, index) => {
    if (!allowed) over.add(asking[index] as string);
  });
  return over;
}

/** The digest key of one recipient's events of a type: `type ␟ key ␟ recipient`, so flushes match by prefix. */
export function digestKeyOf(type: string, key: string, recipientId?: string): string {
  return recipientId === undefined ? [type, key, ''].join(SEPARATOR) : [type, key, recipientId].join(SEPARATOR);
}

/** The bucket an event opens: deterministic, from the event's notification and recipient place. */
export function digestIdOf(notificationId: string, index: number): string {
  return `g${notificationId}.${index.toString(36)}`;
}

/** Joins each recipient's event to its open digest; by recipient place. */
export async function joinChunkDigests(context: ChunkContext): Promise<Map<number, DigestPlacement>> {
  const { definition, recipients, preferences } = context;
  const digest = definition.digest;
  const placements = new Map<number, DigestPlacement>();
  if (!digest || definition.critical) return placements;
  const key = digest.key ? String(digest.key({ payload: context.payload })) : '';
  const at = new Date(context.now).toISOString();
  const joins: DigestJoin[] = [];
  const places: { index: number; recipientId: string }[] = [];
  recipients.forEach((recipient, offset) => {
    if (context.unknown.has(recipient.id)) return;
    const prefs = preferences.get(recipient.id);
    const wanted = digest.kinds.filter(
      (kind) => context.kinds.includes(kind) && !isOptedOut(prefs, definition.type, kind),
    );
    if (wanted.length === 0) return;
    const index = context.firstIndex + offset;
    let closesAt: number;
    let capAt: number | undefined;
    if (digest.calendar) {
      const timeZone = recipient.timeZone ?? prefs?.timeZone ?? 'UTC';
      const weekday = digest.calendar.every === 'week' ? digest.calendar.weekday : undefined;
      closesAt = nextLocalTime(context.now, digest.calendar.atMinutes, timeZone, weekday);
    } else {
      closesAt = context.now + (digest.windowMs as number);
      if (digest.maxWindowMs !== undefined) capAt = context.now + digest.maxWindowMs;
    }
    joins.push({
      key: digestKeyOf(definition.type, key, recipient.id),
      openAs: digestIdOf(context.notificationId, index),
      type: definition.type,
      recipientId: recipient.id,
      event: {
        notificationId: context.notificationId,
        payload: context.payload,
        createdAt: context.createdAt,
        ...(context.actorId === undefined ? {} : { actorId: context.actorId }),
      },
      at,
      closesAt: new Date(closesAt).toISOString(),
      ...(digest.windowMs === undefined ? {} : { windowMs: digest.windowMs }),
      ...(capAt === undefined ? {} : { capAt: new Date(capAt).toISOString() }),
      maxEvents: digest.maxEvents,
    });
    places.push({ index, recipientId: recipient.id });
  });
  if (joins.length === 0) return placements;
  const results = await context.store.joinDigests(joins);
  results.forEach((result, position) => {
    const { index, recipientId } = places[position] as { index: number; recipientId: string };
    const isOpener = result.digestId === digestIdOf(context.notificationId, index);
    placements.set(index, { recipientId, result, isOpener });
  });
  return placements;
}
