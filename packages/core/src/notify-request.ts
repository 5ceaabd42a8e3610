// Step 1 of the flow: every check on a notify call, before anything is claimed or stored. What comes out is
// a validated request; what does not is a ValidationError or ConfigurationError naming what to fix.

import { ConfigurationError, ValidationError, type ValidationIssue } from './errors';
import type { NotifyOptions, RecipientInput } from './herald-types';
import { type AnyNotificationDefinition, isStandardSchema } from './notification';
import { validateRecipientInputs } from './recipients';
import type { ChannelKind } from './spec/channel';
import { assertNonEmptyString, validateWithSchema } from './validation';

export interface NotifyRequest {
  definition: AnyNotificationDefinition;
  /** The schema's output. */
  payload: unknown;
  inputs: RecipientInput[];
  actorId: string | undefined;
  notifyActor: boolean;
  kinds: readonly ChannelKind[];
  /** When delivery is due, if later than now (epoch ms). */
  scheduledFor: number | undefined;
  idempotencyKey: string | undefined;
}

const optionsPrefix = { prefix: 'Invalid notify options' };

function scheduledTime(options: NotifyOptions<AnyNotificationDefinition>, now: number): number | undefined {
  const issues: ValidationIssue[] = [];
  let at: number | undefined;
  if (options.at !== undefined) {
    const given: unknown = options.at;
    at = given instanceof Date ? given.getTime() : typeof given === 'string' ? Date.parse(given) : Number.NaN;
    if (!Number.isFinite(at)) issues.push({ path: 'at', message: 'Expected a valid Date or an ISO 8601 date string' });
  }
  if (options.delayMs !== undefined) {
    if (typeof options.delayMs !== 'number' || !Number.isFinite(options.delayMs) || options.delayMs < 0) {
      issues.push({ path: 'delayMs', message: 'Expected a number of milliseconds ≥ 0' });
    } else if (options.at !== undefined) {
      issues.push({ path: 'delayMs', message: 'Give either delayMs or at, not both' });
    } else at = now + options.delayMs;
  }
  if (issues.length > 0) throw new ValidationError(issues, optionsPrefix);
  return at !== undefined && at > now ? at : undefined;
}

function requestedKinds(
  definition: AnyNotificationDefinition,
  requested: readonly ChannelKind[] | undefined,
): readonly ChannelKind[] {
  if (requested === undefined) return definition.kinds;
  const unknown = Array.isArray(requested)
    ? requested.filter((kind) => !definition.kinds.includes(kind))
    : ['(not an array)'];
  if (unknown.length > 0) {
    throw new ValidationError(
      unknown.map((kind) => ({
        path: 'channels',
        message: `"${kind}" is not a channel kind of "${definition.type}" (it has: ${definition.kinds.join(', ')})`,
      })),
      optionsPrefix,
    );
  }
  return definition.kinds.filter((kind) => requested.includes(kind));
}

export async function validateNotifyRequest(
  definition: AnyNotificationDefinition,
  options: NotifyOptions<AnyNotificationDefinition>,
  context: { registeredKinds: ReadonlySet<ChannelKind>; now: number },
): Promise<NotifyRequest> {
  if (!definition || typeof definition !== 'object' || !isStandardSchema(definition.schema)) {
    throw new ConfigurationError('notify() needs a definition made with defineNotification().');
  }
  if (!options || typeof options !== 'object') {
    throw new ValidationError([{ path: '', message: 'Expected notify options { to, payload }' }], optionsPrefix);
  }
  const inputs = validateRecipientInputs(options.to, options.actor);
  const payload = await validateWithSchema(
    definition.schema,
    options.payload,
    'payload',
    `Invalid payload for "${definition.type}"`,
  );
  const kinds = requestedKinds(definition, options.channels);
  for (const kind of kinds) {
    if (kind !== 'inApp' && !context.registeredKinds.has(kind)) {
      const registered = ['inApp', ...[...context.registeredKinds].filter((known) => known !== 'inApp')];
      throw new ConfigurationError(
        `Notification "${definition.type}" has content for channel kind "${kind}", but no channel of that kind is registered ` +
          `(registered: ${registered.join(', ')}). ` +
          'Register one in createHerald({ channels }) or limit this call with { channels: [...] }.',
      );
    }
  }
  const scheduledFor = scheduledTime(options, context.now);
  if (options.idempotencyKey !== undefined) assertNonEmptyString(options.idempotencyKey, 'idempotencyKey');
  const actor = options.actor;
  return {
    definition,
    payload,
    inputs,
    actorId: actor === undefined ? undefined : typeof actor === 'string' ? actor : actor.id,
    notifyActor: options.notifyActor === true,
    kinds,
    scheduledFor,
    idempotencyKey: options.idempotencyKey,
  };
}
