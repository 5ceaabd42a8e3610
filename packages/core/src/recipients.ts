// Step 3 of the flow: normalise `to`, drop the actor and duplicates, resolve ids, merge stored push tokens.

import { ValidationError, type ValidationIssue } from './errors';
import type { ExclusionReason } from './events';
import type { RecipientInput, ResolveRecipients } from './herald-types';
import type { Recipient } from './recipient';
import type { Device } from './spec/store';

export interface NormalisedRecipients {
  recipients: Recipient[];
  excluded: { recipientId: string; reason: ExclusionReason }[];
}

function checkRecipientObject(value: object, path: string, issues: ValidationIssue[]): void {
  const candidate = value as Partial<Record<keyof Recipient, unknown>>;
  if (typeof candidate.id !== 'string' || candidate.id.length === 0) {
    issues.push({ path: `${path}.id`, message: 'Expected a non-empty string' });
  }
  for (const field of ['email', 'phone', 'name', 'locale'] as const) {
    if (candidate[field] !== undefined && typeof candidate[field] !== 'string') {
      issues.push({ path: `${path}.${field}`, message: 'Expected a string' });
    }
  }
  if (
    candidate.pushTokens !== undefined &&
    (!Array.isArray(candidate.pushTokens) || candidate.pushTokens.some((token) => typeof token !== 'string'))
  ) {
    issues.push({ path: `${path}.pushTokens`, message: 'Expected an array of strings' });
  }
}

/** Checks the shape of `to` (and `actor`) before anything is claimed or stored. */
export function validateRecipientInputs(to: unknown, actor: unknown): RecipientInput[] {
  const list = Array.isArray(to) ? to : [to];
  const issues: ValidationIssue[] = [];
  if (to === undefined || to === null || list.length === 0) {
    issues.push({ path: 'to', message: 'At least one recipient is required' });
  }
  list.forEach((entry, index) => {
    const path = Array.isArray(to) ? `to.${index}` : 'to';
    if (typeof entry === 'string') {
      if (entry.length === 0) issues.push({ path, message: 'Expected a non-empty recipient id' });
    } else if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
      checkRecipientObject(entry, path, issues);
    } else if (!(to === undefined || to === null)) {
      issues.push({ path, message: 'Expected a recipient id (string) or a recipient object with an id' });
    }
  });
  if (actor !== undefined) {
    if (typeof actor === 'string') {
      if (actor.length === 0) issues.push({ path: 'actor', message: 'Expected a non-empty id' });
    } else if (typeof actor === 'object' && actor !== null) {
      checkRecipientObject(actor, 'actor', issues);
    } else {
      issues.push({ path: 'actor', message: 'Expected an id or a recipient object' });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues, { prefix: 'Invalid notify options' });
  return list as RecipientInput[];
}

/**
 * Step 3a: the recipients of `to` in order — the actor and repeated ids left out, inline fields of a repeated id
 * merged into its first place. Only inline fields are kept: what the resolver knows is looked up per dispatch.
 */
export function collectRecipients(
  inputs: readonly RecipientInput[],
  actorId: string | undefined,
): NormalisedRecipients {
  const byId = new Map<string, Recipient>();
  const excluded: NormalisedRecipients['excluded'] = [];
  let actorExcluded = false;
  for (const input of inputs) {
    const id = typeof input === 'string' ? input : input.id;
    if (id === actorId) {
      if (!actorExcluded) excluded.push({ recipientId: id, reason: 'actor' });
      actorExcluded = true;
      continue;
    }
    const existing = byId.get(id);
    if (existing !== undefined) {
      excluded.push({ recipientId: id, reason: 'duplicate-recipient' });
      if (typeof input !== 'string') byId.set(id, { ...existing, ...input });
      continue;
    }
    byId.set(id, typeof input === 'string' ? { id } : { ...input });
  }
  return { recipients: [...byId.values()], excluded };
}

/** Ids the resolver is asked about at once. */
export const RESOLVE_CHUNK = 1_000;

export interface ResolvedRecipients {
  recipients: Recipient[];
  /** Ids the resolver did not return, of recipients given without any inline field. */
  unknown: Set<string>;
}

/**
 * Step 3b: recipients given by id alone, completed from `resolve` (the host's user table); recipients given
 * with fields are taken as given. An id the resolver does not return is unknown.
 */
export async function resolveRecipients(
  recipients: readonly Recipient[],
  resolve: ResolveRecipients | undefined,
): Promise<ResolvedRecipients> {
  const unknown = new Set<string>();
  const bare: number[] = [];
  recipients.forEach((recipient, index) => {
    if (Object.keys(recipient).length === 1) bare.push(index);
  });
  if (!resolve || bare.length === 0) return { recipients: recipients.slice(), unknown };
  const merged = recipients.slice();
  for (let start = 0; start < bare.length; start += RESOLVE_CHUNK) {
    const chunk = bare.slice(start, start + RESOLVE_CHUNK);
    const resolvedById = new Map<string, Recipient>();
    for (const resolved of await resolve(chunk.map((index) => (recipients[index] as Recipient).id))) {
      if (resolved && typeof resolved.id === 'string') resolvedById.set(resolved.id, resolved);
    }
    for (const index of chunk) {
      const id = (recipients[index] as Recipient).id;
      const resolved = resolvedById.get(id);
      if (resolved) merged[index] = { ...resolved, id };
      else unknown.add(id);
    }
  }
  return { recipients: merged, unknown };
}

/** Adds registered device tokens to each recipient's inline `pushTokens`, without duplicates. */
export function mergeDeviceTokens(recipients: Recipient[], devices: Map<string, Device[]>): Recipient[] {
  if (devices.size === 0) return recipients;
  return recipients.map((recipient) => {
    const registered = devices.get(recipient.id);
    if (!registered || registered.length === 0) return recipient;
    const tokens = new Set(recipient.pushTokens ?? []);
    for (const device of registered) tokens.add(device.token);
    return { ...recipient, pushTokens: [...tokens] };
  });
}
