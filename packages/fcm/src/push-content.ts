// What a notification's `push` content builder returns, and how it becomes an FCM v1 message per token.

import { DeliveryError } from '@herald/core';
import type { AndroidConfig, ApnsConfig, TokenMessage, WebpushConfig } from 'firebase-admin/messaging';

/** A `data` value: FCM carries strings only, so numbers and booleans are sent as `String(value)`. */
export type PushDataValue = string | number | boolean;

export interface PushContent {
  title: string;
  body: string;
  /** Key/value pairs the app reads; every value reaches the device as a string. */
  data?: Record<string, PushDataValue>;
  imageUrl?: string;
  /** Merged over what Herald derives from `collapseKey`, `ttlSeconds` and `priority`; these win. */
  android?: AndroidConfig;
  apns?: ApnsConfig;
  webpush?: WebpushConfig;
  /** Messages with the same key replace each other on the device while undelivered. */
  collapseKey?: string;
  /** How long FCM keeps trying to reach an offline device. */
  ttlSeconds?: number;
  priority?: 'high' | 'normal';
}

declare module '@herald/core' {
  interface ChannelContentMap {
    push: PushContent;
  }
}

/** FCM rejects a message whose payload is larger than this. */
export const FCM_MAX_PAYLOAD_BYTES = 4096;

/** A message for every token but the token itself: built once per request, then copied per token. */
export type PushMessageTemplate = Omit<TokenMessage, 'token'>;

function invalidContent(message: string): DeliveryError {
  return new DeliveryError('INVALID_CONTENT', message, { retryable: false });
}

function toWireData(data: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (data === undefined) return undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw invalidContent('push content: data must be an object of string, number or boolean values.');
  }
  const wire: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    if (typeof value === 'string') wire[key] = value;
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean')
      wire[key] = String(value);
    else {
      const found =
        value === null
          ? 'null'
          : Array.isArray(value)
            ? 'an array'
            : typeof value === 'number'
              ? String(value)
              : `a ${typeof value}`;
      throw invalidContent(
        `push content: data.${key} must be a string, a finite number or a boolean (FCM carries strings only); got ${found}. Serialise it yourself, e.g. JSON.stringify.`,
      );
    }
  }
  return wire;
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidContent(`push content: ${field} must be a non-empty string.`);
  }
  return value;
}

const priorities = {
  high: { android: 'high', apns: '10', webpush: 'high' },
  normal: { android: 'normal', apns: '5', webpush: 'normal' },
} as const;

/**
 * Validates push content and turns it into the FCM v1 message shared by all of a recipient's tokens.
 * Throws `INVALID_CONTENT` for anything FCM would refuse that we can see before sending.
 */
export function buildPushMessage(content: PushContent, now: number = Date.now()): PushMessageTemplate {
  if (typeof content !== 'object' || content === null) throw invalidContent('push content must be an object.');
  const title = requireText(content.title, 'title');
  const body = requireText(content.body, 'body');
  const data = toWireData(content.data as Record<string, unknown> | undefined);
  const { collapseKey, ttlSeconds, priority } = content;
  if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && ttlSeconds >= 0)) {
    throw invalidContent(
      `push content: ttlSeconds must be a whole number of seconds >= 0 (got ${String(ttlSeconds)}).`,
    );
  }
  if (priority !== undefined && !(priority in priorities)) {
    throw invalidContent(`push content: priority must be "high" or "normal" (got ${JSON.stringify(priority)}).`);
  }

  const android: AndroidConfig = {};
  const apnsHeaders: Record<string, string> = {};
  const webpushHeaders: Record<string, string> = {};
  if (collapseKey !== undefined) {
    android.collapseKey = collapseKey;
    apnsHeaders['apns-collapse-id'] = collapseKey;
    webpushHeaders.Topic = collapseKey;
  }
  if (ttlSeconds !== undefined) {
    android.ttl = ttlSeconds * 1000;
    // APNs wants an absolute expiry; 0 means "deliver now or never", as a TTL of 0 does elsewhere.
    apnsHeaders['apns-expiration'] = ttlSeconds === 0 ? '0' : String(Math.floor(now / 1000) + ttlSeconds);
    webpushHeaders.TTL = String(ttlSeconds);
  }
  if (priority !== undefined) {
    android.priority = priorities[priority].android;
    apnsHeaders['apns-priority'] = priorities[priority].apns;
    webpushHeaders.Urgency = priorities[priority].webpush;
  }

  const message: PushMessageTemplate = {
    notification: content.imageUrl === undefined ? { title, body } : { title, body, imageUrl: content.imageUrl },
  };
  if (data !== undefined) message.data = data;
  const mergedAndroid = { ...android, ...content.android };
  if (Object.keys(mergedAndroid).length > 0) message.android = mergedAndroid;
  const mergedApns: ApnsConfig = { ...content.apns, headers: { ...apnsHeaders, ...content.apns?.headers } };
  if (Object.keys(mergedApns.headers ?? {}).length === 0) delete mergedApns.headers;
  if (Object.keys(mergedApns).length > 0) message.apns = mergedApns;
  const mergedWebpush: WebpushConfig = {
    ...content.webpush,
    headers: { ...webpushHeaders, ...content.webpush?.headers },
  };
  if (Object.keys(mergedWebpush.headers ?? {}).length === 0) delete mergedWebpush.headers;
  if (Object.keys(mergedWebpush).length > 0) message.webpush = mergedWebpush;

  // FCM counts the message it delivers; measuring everything but the token errs on the side of
  // refusing here, where the error names the cause, rather than at the provider.
  const size = Buffer.byteLength(JSON.stringify(message), 'utf8');
  if (size > FCM_MAX_PAYLOAD_BYTES) {
    throw invalidContent(
      `push content is ${size} bytes; FCM allows at most ${FCM_MAX_PAYLOAD_BYTES}. Shorten title/body/data or send an id and fetch the rest in the app.`,
    );
  }
  return message;
}
