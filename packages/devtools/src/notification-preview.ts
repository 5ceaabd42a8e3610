// Renders every definition × channel with the sample payloads declared next to its schema (`previews`), the way a
// delivery would: the payload validated by the schema, then each channel's builder called for a sample recipient.

import {
  type AnyNotificationDefinition,
  type ChannelKind,
  isSkip,
  type Recipient,
  type StandardSchemaV1,
  type ValidationIssue,
} from '@herald/core';

/** One channel of one preview: its content, a `skip(reason)`, or the error its builder threw. */
export type ChannelPreview =
  | { kind: ChannelKind; status: 'rendered'; content: unknown; afterMs: number }
  | { kind: ChannelKind; status: 'skipped'; reason: string; afterMs: number }
  | { kind: ChannelKind; status: 'error'; error: string; afterMs: number };

/** One sample payload of one definition, rendered for every channel (or refused by the schema, with its issues). */
export interface NotificationPreview {
  type: string;
  /** The preview's name, as declared in `previews`. */
  name: string;
  critical: boolean;
  /** The sample payload as declared. */
  payload: unknown;
  /** Set when the schema refused the sample payload; `channels` is then empty. */
  issues?: ValidationIssue[];
  channels: ChannelPreview[];
}

export interface RenderPreviewsOptions {
  /** Who the previews are rendered for (default: a sample recipient with a name, an email and a phone number). */
  recipient?: Recipient;
}

export const defaultPreviewRecipient: Recipient = Object.freeze({
  id: 'preview-recipient',
  name: 'Ada Lovelace',
  email: 'ada@example.test',
  phone: '+15550100001',
  locale: 'en',
});

const safeHtmlBrand = Symbol.for('herald.safeHtml');

// Content may hold SafeHtml (email bodies) and other values JSON would mangle: make it plain data.
function plain(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? undefined : value;
  if ((value as Record<symbol, unknown>)[safeHtmlBrand] === true) return String(value);
  if (depth > 20) return '[nested too deep]';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map((entry) => plain(entry, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    const converted = plain(entry, depth + 1);
    if (converted !== undefined) out[key] = converted;
  }
  return out;
}

function issuePath(path: readonly (PropertyKey | { key: PropertyKey })[] | undefined): string {
  const parts = (path ?? []).map((segment) =>
    String(typeof segment === 'object' && segment !== null ? segment.key : segment),
  );
  return ['payload', ...parts].join('.');
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function renderOne(
  definition: AnyNotificationDefinition,
  name: string,
  sample: unknown,
  recipient: Recipient,
): Promise<NotificationPreview> {
  const preview: NotificationPreview = {
    type: definition.type,
    name,
    critical: definition.critical,
    payload: plain(sample),
    channels: [],
  };
  let result: StandardSchemaV1.Result<unknown>;
  try {
    result = await definition.schema['~standard'].validate(sample);
  } catch (error) {
    preview.issues = [{ path: 'payload', message: `The schema threw: ${errorText(error)}` }];
    return preview;
  }
  if (result.issues !== undefined) {
    preview.issues = result.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message }));
    return preview;
  }
  const payload = result.value;
  const digested = new Set<string>(definition.digest?.kinds ?? []);
  for (const kind of definition.kinds) {
    const step = definition.steps[kind];
    if (step === undefined) continue;
    const context: Record<string, unknown> = {
      payload,
      recipient,
      locale: recipient.locale,
      notificationId: `preview:${definition.type}:${name}`,
      actorId: undefined,
    };
    // A digested kind's builder also reads the digest: preview it as a digest of this one event.
    if (digested.has(kind)) {
      context.events = [{ payload, createdAt: new Date(0).toISOString() }];
      context.digest = { count: 1, actorIds: [], omitted: 0 };
    }
    try {
      const content = await step.build(context);
      preview.channels.push(
        isSkip(content)
          ? { kind, status: 'skipped', reason: content.reason, afterMs: step.afterMs }
          : { kind, status: 'rendered', content: plain(content), afterMs: step.afterMs },
      );
    } catch (error) {
      preview.channels.push({ kind, status: 'error', error: errorText(error), afterMs: step.afterMs });
    }
  }
  return preview;
}

/**
 * Every preview of every definition, in the order given: each sample payload validated by its schema, then every
 * channel's content built for `recipient`. A builder that throws or a payload the schema refuses is reported in
 * the preview, never thrown, so one broken template does not hide the others.
 */
export async function renderNotificationPreviews(
  definitions: readonly AnyNotificationDefinition[],
  options: RenderPreviewsOptions = {},
): Promise<NotificationPreview[]> {
  const recipient = options.recipient ?? defaultPreviewRecipient;
  const previews: NotificationPreview[] = [];
  for (const definition of definitions) {
    for (const [name, sample] of Object.entries(definition.previews)) {
      previews.push(await renderOne(definition, name, sample, recipient));
    }
  }
  return previews;
}
