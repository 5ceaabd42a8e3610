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

export async function normaliseRecipients(
  inputs: readonly RecipientInput[],
  actorId: string | undefined,
  resolve: ResolveRecipients | undefined,
): Promise<NormalisedRecipients> {
  const byId = new Map<string, Recipient>();
  const excluded: NormalisedRecipients['excluded'] = [];
  const idsToResolve: string[] = [];
  const excludedIds = new Set<string>();
  for (const input of inputs) {
    const id = typeof input === 'string' ? input : input.id;
    if (id === actorId) {
      if (!excludedIds.has(id)) excluded.push({ recipientId: id, reason: 'actor' });
      excludedIds.add(id);
      continue;
    }
    const existing = byId.get(id);
    if (existing !== undefined) {
      excluded.push({ recipientId: id, reason: 'duplicate-recipient' });
      if (typeof input !== 'string') byId.set(id, { ...existing, ...input });
      continue;
    }
    if (typeof input === 'string') {
      byId.set(id, { id });
      idsToResolve.push(id);
    } else {
      byId.set(id, { ...input });
    }
  }
  if (idsToResolve.length > 0 && resolve) {
    for (const resolved of await resolve(idsToResolve)) {
      const current = byId.get(resolved.id);
      // Fields given inline in `to` win over the resolver's.
      if (current) byId.set(resolved.id, { ...resolved, ...current, id: resolved.id });
    }
  }
  return { recipients: [...byId.values()], excluded };
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
