// `createDevtoolsHandler`: the developer page and its JSON API as one fetch-standard handler, mounted under a base
// path (default `/dev`). It shows what the local provider stand-ins received, this process's notifications with
// their deliveries, and a preview of every definition × channel. It refuses to start in production unless forced.

import { type AnyNotificationDefinition, ConfigurationError, type Herald, type Recipient } from '@herald/core';
import { renderDevtoolsPage } from './devtools-page';
import { createNotificationLog } from './notification-log';
import { defaultPreviewRecipient, renderNotificationPreviews } from './notification-preview';
import type { SentEmail, SentMessageSource, SentPush, SentWhatsAppMessage } from './sent-messages';

export interface DevtoolsSettings {
  herald: Herald;
  /** The notification catalog to preview (e.g. `Object.values(await import('./notifications'))`). */
  definitions: readonly AnyNotificationDefinition[];
  /** Where the handler is mounted (default `/dev`); it answers only under this path. */
  basePath?: string;
  /** What the SMTP sink received. */
  mail?: SentMessageSource<SentEmail>;
  /** What the WhatsApp Cloud API stand-in accepted. */
  whatsapp?: SentMessageSource<SentWhatsAppMessage>;
  /** What the FCM stand-in accepted. */
  push?: SentMessageSource<SentPush>;
  /** Who previews are rendered for (default: a sample recipient with a name, an email and a phone number). */
  previewRecipient?: Recipient;
  /** How many of this process's latest notifications the page keeps (default 100). */
  notificationLimit?: number;
  /** Run even when `NODE_ENV` is `production` (put it behind your own authentication then). */
  force?: boolean;
}

/** A fetch-standard handler; `close()` stops it listening to Herald's events. */
export interface DevtoolsHandler {
  (request: Request): Promise<Response>;
  readonly basePath: string;
  close(): void;
}

const basePathPattern = /^(\/[A-Za-z0-9._~-]+)+$/;

function isDefinition(value: unknown): value is AnyNotificationDefinition {
  const candidate = value as Partial<AnyNotificationDefinition> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.type === 'string' &&
    Array.isArray(candidate.kinds) &&
    typeof candidate.steps === 'object' &&
    typeof candidate.previews === 'object'
  );
}

function checkSource(name: string, source: unknown): void {
  if (source !== undefined && typeof (source as { listReceived?: unknown } | null)?.listReceived !== 'function') {
    throw new ConfigurationError(
      `createDevtoolsHandler: ${name} must be an object with listReceived() (such as a local peer), got ${source === null ? 'null' : typeof source}.`,
    );
  }
}

function checkSettings(settings: DevtoolsSettings): { basePath: string; limit: number } {
  if (typeof settings !== 'object' || settings === null) {
    throw new ConfigurationError('createDevtoolsHandler: pass { herald, definitions }.');
  }
  const environment = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (environment?.NODE_ENV === 'production' && settings.force !== true) {
    throw new ConfigurationError(
      'createDevtoolsHandler refuses to run with NODE_ENV=production: the page shows every message sent and every template. Pass { force: true } to run it anyway, behind your own authentication.',
    );
  }
  const herald = settings.herald as Partial<Herald> | undefined;
  if (typeof herald?.on !== 'function' || typeof herald.deliveries?.list !== 'function') {
    throw new ConfigurationError('createDevtoolsHandler: herald must be the instance createHerald returned.');
  }
  if (!Array.isArray(settings.definitions)) {
    throw new ConfigurationError(
      'createDevtoolsHandler: definitions must be an array of defineNotification results (e.g. Object.values(notifications)).',
    );
  }
  settings.definitions.forEach((definition, index) => {
    if (!isDefinition(definition)) {
      throw new ConfigurationError(`createDevtoolsHandler: definitions[${index}] is not a defineNotification result.`);
    }
  });
  checkSource('mail', settings.mail);
  checkSource('whatsapp', settings.whatsapp);
  checkSource('push', settings.push);
  const basePath = settings.basePath ?? '/dev';
  if (typeof basePath !== 'string' || !basePathPattern.test(basePath)) {
    throw new ConfigurationError(
      `createDevtoolsHandler: basePath must be a path such as "/dev" (a leading slash, no trailing slash), got ${JSON.stringify(basePath)}.`,
    );
  }
  const limit = settings.notificationLimit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new ConfigurationError(
      `createDevtoolsHandler: notificationLimit must be an integer from 1 to 10000, got ${JSON.stringify(limit)}.`,
    );
  }
  return { basePath, limit };
}

const noStore = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

// No script runs on the page at all; email bodies (in sandboxed srcdoc frames) inherit this policy too.
const pagePolicy =
  "default-src 'none'; style-src 'unsafe-inline'; img-src * data: cid:; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...noStore },
  });
}

function errorJson(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  const response = json(status, { error: { code, message } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

async function listed<Message>(
  source: SentMessageSource<Message> | undefined,
): Promise<readonly Message[] | undefined> {
  return source === undefined ? undefined : [...(await source.listReceived())];
}

/**
 * The developer page (`GET {basePath}`) and its JSON (`GET {basePath}/api/mail`, `/whatsapp`, `/push`,
 * `/notifications`, `/previews`), as a fetch-standard handler. Throws a `ConfigurationError` (code
 * `CONFIGURATION`) when `NODE_ENV` is `production` and `force` is not set, or when a setting is wrong.
 */
export function createDevtoolsHandler(settings: DevtoolsSettings): DevtoolsHandler {
  const { basePath, limit } = checkSettings(settings);
  const { herald, definitions, mail, whatsapp, push } = settings;
  const recipient = settings.previewRecipient ?? defaultPreviewRecipient;
  const log = createNotificationLog(herald, limit);
  const withoutPreviews = definitions.filter((definition) => Object.keys(definition.previews).length === 0);
  const previews = () => renderNotificationPreviews(definitions, { recipient });

  const routes: Record<string, () => Promise<Response>> = {
    '': async () => {
      const [mailList, whatsappList, pushList, notifications, rendered] = await Promise.all([
        listed(mail),
        listed(whatsapp),
        listed(push),
        log.list(),
        previews(),
      ]);
      const page = renderDevtoolsPage({
        basePath,
        mail: mailList,
        whatsapp: whatsappList,
        push: pushList,
        notifications,
        previews: rendered,
        withoutPreviews,
      });
      return new Response(page, {
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': pagePolicy, ...noStore },
      });
    },
    '/api/mail': async () => json(200, { configured: mail !== undefined, messages: (await listed(mail)) ?? [] }),
    '/api/whatsapp': async () =>
      json(200, { configured: whatsapp !== undefined, messages: (await listed(whatsapp)) ?? [] }),
    '/api/push': async () => json(200, { configured: push !== undefined, messages: (await listed(push)) ?? [] }),
    '/api/notifications': async () => json(200, { notifications: await log.list() }),
    '/api/previews': async () => json(200, { previews: await previews() }),
  };

  const handler = async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    const rest =
      pathname === basePath ? '' : pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length) : undefined;
    const route = rest === undefined ? undefined : routes[rest === '/' ? '' : rest];
    if (route === undefined) return errorJson(404, 'NOT_FOUND', `No devtools route at ${pathname}.`);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return errorJson(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here; the devtools only read.`, {
        allow: 'GET, HEAD',
      });
    }
    try {
      return await route();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return errorJson(500, 'INTERNAL', `The devtools could not read what was sent: ${message}`);
    }
  };
  return Object.assign(handler, { basePath, close: () => log.close() });
}
