// The inbox REST API as a fetch-standard handler: `(Request) => Promise<Response>`, so it mounts in
// anything that speaks fetch (Bun, Deno, Hono, Next.js route handlers) and in node:http / Express
// through `toNodeHandler`. Every read and write goes through the Herald APIs, so Herald's events
// (which the WebSocket gateway relays to open tabs) fire exactly as they do for calls in code.

import {
  type Authenticate,
  type ChannelKind,
  type Herald,
  HeraldError,
  type InboxQuery,
  type Logger,
  type PreferencesUpdate,
  StoreError,
  ValidationError,
} from '@herald/core';
import { describeError, silentLogger } from '@herald/core/spec';
import { emptyResponse, errorResponse, HttpError, jsonResponse, unmatchedRouteResponse } from './http-error';
import type { InboxListResponse, InboxMarkResponse, InboxReadAllResponse } from './inbox-api-types';
import {
  deviceBodySchema,
  emptyBodySchema,
  listQuerySchema,
  parseOrThrow,
  preferencesBodySchema,
  queryObject,
  readAllBodySchema,
  seenAllBodySchema,
} from './inbox-schemas';
import { assertJsonContentType, DEFAULT_MAX_BODY_BYTES, readJsonBody } from './request-body';

export type { Authenticate, AuthenticatedUser, AuthenticationRequest } from '@herald/core';

/**
 * Returns the signed-in user for a request, or null when there is none (the API answers 401). Any core
 * `Authenticate` (written on the shared headers-and-URL view, as the WebSocket gateway takes it) fits here.
 */
export type AuthenticateRequest = Authenticate<Request>;

export interface InboxHandlerSettings {
  /** The Herald instance (only its `inbox`, `devices` and `preferences` APIs are used). */
  herald: Pick<Herald, 'inbox' | 'devices' | 'preferences'>;
  authenticate: AuthenticateRequest;
  /** Path prefix the routes live under, e.g. `/api/inbox` (default: none). */
  basePath?: string;
  /** Largest JSON body accepted, in bytes (default 64 KiB); larger ones get 413. */
  maxBodyBytes?: number;
  /**
   * Whether `POST /devices` may move a token another account registered, when the body asks with `takeOver: true`
   * (default false: such a registration answers 409 `DEVICE_TAKEN`). Anyone who knows a token could then take it.
   */
  allowDeviceTakeOver?: boolean;
  /** Receives unexpected errors (answered as 500 INTERNAL); silent by default. */
  logger?: Logger;
}

export type InboxHandler = (request: Request) => Promise<Response>;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface RouteContext {
  request: Request;
  url: URL;
  userId: string;
  params: Record<string, string>;
}

interface Route {
  /** Literal segments, or `:name` for a parameter. */
  segments: string[];
  methods: Partial<Record<Method, (context: RouteContext) => Promise<Response>>>;
}

interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

function normaliseBasePath(basePath: string | undefined): string {
  if (basePath === undefined) return '';
  const trimmed = basePath.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function matchRoute(routes: readonly Route[], path: string): RouteMatch | undefined {
  // One trailing slash is tolerated; empty segments (`//`) match nothing.
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (!trimmed.startsWith('/')) return undefined;
  const rawSegments = trimmed.slice(1).split('/');
  for (const route of routes) {
    if (route.segments.length !== rawSegments.length) continue;
    const params: Record<string, string> = {};
    let matched = true;
    for (let index = 0; index < route.segments.length && matched; index++) {
      const pattern = route.segments[index] as string;
      const raw = rawSegments[index] as string;
      if (pattern.startsWith(':')) {
        let value: string;
        try {
          value = decodeURIComponent(raw);
        } catch {
          value = '';
        }
        if (value === '') matched = false;
        else params[pattern.slice(1)] = value;
      } else if (pattern !== raw) {
        matched = false;
      }
    }
    if (matched) return { route, params };
  }
  return undefined;
}

function allowHeader(route: Route): string {
  return [...Object.keys(route.methods), 'OPTIONS'].join(', ');
}

/** Builds the inbox REST API for a Herald instance. */
export function createInboxHandler(settings: InboxHandlerSettings): InboxHandler {
  const { herald, authenticate } = settings;
  const basePath = normaliseBasePath(settings.basePath);
  const maxBodyBytes = settings.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const allowDeviceTakeOver = settings.allowDeviceTakeOver === true;
  const logger = settings.logger ?? silentLogger;

  const notFound = (what: string): HttpError => new HttpError(404, 'NOT_FOUND', `No such ${what}`);

  /** A write that takes no fields still reads its body, so that a stray field is an error rather than ignored. */
  async function readEmptyBody(request: Request): Promise<void> {
    const raw = await readJsonBody(request, { maxBytes: maxBodyBytes, required: false });
    if (raw !== undefined) parseOrThrow(emptyBodySchema, raw, 'body');
  }

  type ItemChange = 'markRead' | 'markUnread' | 'markSeen' | 'archive' | 'unarchive';

  async function markOne(context: RouteContext, change: ItemChange): Promise<Response> {
    await readEmptyBody(context.request);
    const id = context.params.id as string;
    // Another user's id answers exactly like an id that never existed: the API never confirms existence.
    const owned = await herald.inbox.get(context.userId, [id]);
    if (owned.length === 0) throw notFound('notification');
    const changed = await herald.inbox[change](context.userId, [id]);
    const unread = await herald.inbox.unreadCount(context.userId);
    const body: InboxMarkResponse = { id, changed: changed.length > 0, unread };
    return jsonResponse(200, body);
  }

  /** A bulk change with a body of options (all optional, so no body is fine too). */
  async function changeAll(
    request: Request,
    userId: string,
    schema: typeof readAllBodySchema | typeof seenAllBodySchema,
    run: (options: { type?: string; upToPosition?: number }) => Promise<number>,
  ): Promise<Response> {
    const raw = await readJsonBody(request, { maxBytes: maxBodyBytes, required: false });
    const parsed: { type?: string | undefined; upToPosition?: number | undefined } =
      raw === undefined ? {} : parseOrThrow(schema, raw, 'body');
    const options: { type?: string; upToPosition?: number } = {};
    if (parsed.type !== undefined) options.type = parsed.type;
    if (parsed.upToPosition !== undefined) options.upToPosition = parsed.upToPosition;
    const changed = await run(options);
    const unread = await herald.inbox.unreadCount(userId);
    const body: InboxReadAllResponse = { changed, unread };
    return jsonResponse(200, body);
  }

  const routes: Route[] = [
    {
      segments: ['notifications'],
      methods: {
        GET: async ({ url, userId }) => {
          const raw = queryObject(url.searchParams, ['status', 'type', 'limit', 'cursor', 'archived']);
          const parsed = parseOrThrow(listQuerySchema, raw, 'query');
          const query: InboxQuery = {};
          if (parsed.status !== undefined) query.status = parsed.status;
          if (parsed.archived !== undefined) query.archived = parsed.archived;
          if (parsed.type !== undefined) query.type = parsed.type;
          if (parsed.limit !== undefined) query.limit = parsed.limit;
          if (parsed.cursor !== undefined) query.cursor = parsed.cursor;
          const page = await herald.inbox.list(userId, query);
          const body: InboxListResponse = {
            items: page.items,
            ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
          };
          return jsonResponse(200, body);
        },
      },
    },
    {
      segments: ['notifications', 'unread-count'],
      methods: { GET: async ({ userId }) => jsonResponse(200, await herald.inbox.unreadCount(userId)) },
    },
    {
      segments: ['notifications', 'read-all'],
      methods: {
        POST: ({ request, userId }) =>
          changeAll(request, userId, readAllBodySchema, (options) => herald.inbox.markAllRead(userId, options)),
      },
    },
    {
      segments: ['notifications', 'seen-all'],
      methods: {
        POST: ({ request, userId }) =>
          changeAll(request, userId, seenAllBodySchema, (options) => herald.inbox.markAllSeen(userId, options)),
      },
    },
    {
      segments: ['notifications', 'archive-all-read'],
      methods: {
        POST: ({ request, userId }) =>
          changeAll(request, userId, readAllBodySchema, (options) => herald.inbox.archiveAllRead(userId, options)),
      },
    },
    { segments: ['notifications', ':id', 'read'], methods: { POST: (context) => markOne(context, 'markRead') } },
    { segments: ['notifications', ':id', 'unread'], methods: { POST: (context) => markOne(context, 'markUnread') } },
    { segments: ['notifications', ':id', 'seen'], methods: { POST: (context) => markOne(context, 'markSeen') } },
    { segments: ['notifications', ':id', 'archive'], methods: { POST: (context) => markOne(context, 'archive') } },
    {
      segments: ['notifications', ':id', 'unarchive'],
      methods: { POST: (context) => markOne(context, 'unarchive') },
    },
    {
      segments: ['devices'],
      methods: {
        POST: async ({ request, userId }) => {
          const raw = await readJsonBody(request, { maxBytes: maxBodyBytes, required: true });
          const parsed = parseOrThrow(deviceBodySchema, raw, 'body');
          const takeOver = parsed.takeOver === true;
          if (takeOver && !allowDeviceTakeOver) {
            throw new HttpError(400, 'VALIDATION', 'Invalid body: takeOver: This server does not allow it', {
              issues: [{ path: 'takeOver', message: 'This server does not allow it' }],
            });
          }
          try {
            const device = { token: parsed.token, platform: parsed.platform };
            return jsonResponse(201, await herald.devices.register(userId, device, { takeOver }));
          } catch (error) {
            if (!HeraldError.is(error) || error.code !== 'DEVICE_TAKEN') throw error;
            // Says only that the token is someone else's, never whose.
            throw new HttpError(
              409,
              'DEVICE_TAKEN',
              'This device token is registered to another account. Remove it there (DELETE /devices/:token while ' +
                'signed in as that account), or get a new token from the push service and register that' +
                (allowDeviceTakeOver ? ', or send takeOver: true to move it to this account' : ''),
            );
          }
        },
      },
    },
    {
      segments: ['devices', ':token'],
      methods: {
        DELETE: async ({ request, userId, params }) => {
          await readEmptyBody(request);
          const token = params.token as string;
          // Only the owner may remove a device; anyone else learns nothing about the token.
          if (!(await herald.devices.remove(token, { userId }))) throw notFound('device');
          return emptyResponse(204);
        },
      },
    },
    {
      segments: ['preferences'],
      methods: {
        GET: async ({ userId }) => jsonResponse(200, await herald.preferences.get(userId)),
        PUT: async ({ request, userId }) => {
          const raw = await readJsonBody(request, { maxBytes: maxBodyBytes, required: true });
          const parsed = parseOrThrow(preferencesBodySchema, raw, 'body');
          const update: PreferencesUpdate = {};
          if (parsed.channels !== undefined) update.channels = parsed.channels;
          if (parsed.types !== undefined) update.types = parsed.types;
          if (parsed.timeZone !== undefined) update.timeZone = parsed.timeZone;
          if (parsed.quietHours !== undefined) {
            update.quietHours =
              parsed.quietHours === null
                ? null
                : {
                    from: parsed.quietHours.from,
                    to: parsed.quietHours.to,
                    ...(parsed.quietHours.channels === undefined
                      ? {}
                      : { channels: parsed.quietHours.channels as ChannelKind[] }),
                  };
          }
          return jsonResponse(200, await herald.preferences.set(userId, update));
        },
      },
    },
  ];

  async function resolveUser(request: Request): Promise<string> {
    const user = await authenticate(request);
    if (user === null || user === undefined) {
      throw new HttpError(401, 'UNAUTHENTICATED', 'Sign in to use the inbox');
    }
    if (typeof user.userId !== 'string' || user.userId === '') {
      // A host bug, not the caller's: refuse rather than act for a blank user.
      throw new Error('authenticate() returned a user without a non-empty string userId');
    }
    return user.userId;
  }

  return async function handleInboxRequest(request: Request): Promise<Response> {
    let url: URL | undefined;
    try {
      url = new URL(request.url);
      const pathname = url.pathname;
      if (pathname !== basePath && !pathname.startsWith(`${basePath}/`)) return unmatchedRouteResponse();
      const match = matchRoute(routes, pathname.slice(basePath.length) || '/');
      if (match === undefined) return unmatchedRouteResponse();

      const allow = allowHeader(match.route);
      if (request.method === 'OPTIONS') return emptyResponse(204, { allow });
      const run = match.route.methods[request.method as Method];
      if (run === undefined) {
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${allow}`, {
          headers: { allow },
        });
      }

      const userId = await resolveUser(request);
      // Every route but the GETs changes state: each must declare JSON (see assertJsonContentType).
      if (request.method !== 'GET') assertJsonContentType(request);
      return await run({ request, url, userId, params: match.params });
    } catch (error) {
      if (error instanceof HttpError) return errorResponse(error);
      if (ValidationError.is(error)) {
        // Herald refused the input (e.g. a cursor it did not issue): the caller's mistake, with its paths.
        return errorResponse(new HttpError(400, 'VALIDATION', error.message, { issues: error.issues }));
      }
      const context = { method: request.method, path: url?.pathname ?? request.url, error: describeError(error) };
      if (StoreError.is(error)) {
        logger.error('Inbox API: store unavailable', context);
        return errorResponse(
          new HttpError(503, 'UNAVAILABLE', 'The inbox is unavailable right now; try again shortly'),
        );
      }
      logger.error('Inbox API: unexpected error', context);
      return errorResponse(new HttpError(500, 'INTERNAL', 'Internal error'));
    }
  };
}
