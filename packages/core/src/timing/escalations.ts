// Escalations are event-driven, not polled: when an in-app item is read (or acknowledged), the pending steps of
// its notification whose `unless` now holds are withdrawn from the runner and recorded skipped with reason code
// `condition`. Only what the runner withdrew is skipped — a step already running is decided by its own check when
// it runs — so a read that races the due time has exactly one outcome. A read-all changes no ids one by one; its
// steps are withheld by that same check when they fall due.

import { conditionHolds } from '../delivery-preparation';
import type { EventBus } from '../event-bus';
import type { Logger } from '../logger';
import type { NotificationCatalog } from '../notification-catalog';
import type { Settlement } from '../settlement';
import type { ChannelKind } from '../spec/channel';
import type { Runner } from '../spec/runner';
import type { Store } from '../spec/store';

export type ItemChange = 'read' | 'delivered';

/**
 * Withdraws what the change satisfies. `undefined` (no promise) when no known definition has a step this kind of
 * change can satisfy: every ack asks, and almost none has anything to withdraw.
 */
export type EscalationWithdrawal = (
  userId: string,
  itemIds: readonly string[],
  change: ItemChange,
) => Promise<void> | undefined;

export function createEscalationWithdrawal(context: {
  store: Store;
  runner: Runner;
  runnerStarted: Promise<void>;
  catalog: NotificationCatalog;
  events: EventBus;
  settlement: Settlement | undefined;
  logger: Logger;
}): EscalationWithdrawal {
  const { store, catalog, events } = context;

  /** `conditionalKinds` per change, for the catalog of `size` definitions (every ack asks; definitions rarely change). */
  let known = { size: -1, kinds: new Map<ItemChange, ChannelKind[]>() };

  /** The kinds some known definition makes a conditional step that this change can satisfy. */
  function conditionalKinds(change: ItemChange): ChannelKind[] {
    if (known.size !== catalog.size) known = { size: catalog.size, kinds: new Map() };
    let kinds = known.kinds.get(change);
    if (!kinds) {
      kinds = findConditionalKinds(change);
      known.kinds.set(change, kinds);
    }
    return kinds;
  }

  function findConditionalKinds(change: ItemChange): ChannelKind[] {
    const kinds = new Set<ChannelKind>();
    for (const definition of catalog.all()) {
      for (const [kind, step] of Object.entries(definition.steps)) {
        if (step.unless === change || typeof step.unless === 'function') kinds.add(kind as ChannelKind);
      }
    }
    return [...kinds];
  }

  async function withdraw(userId: string, itemIds: readonly string[], change: ItemChange): Promise<void> {
    const kinds = conditionalKinds(change);
    // A step's delivery id is its item's id and the kind (`<notification>.<recipient place>.<kind>`).
    const candidates = itemIds.flatMap((itemId) => kinds.map((kind) => `${itemId}.${kind}`));
    const pending = (await store.getDeliveries(candidates)).filter(
      (record) => record.status === 'pending' && record.recipientId === userId && record.digestDeliveryId === undefined,
    );
    if (pending.length === 0) return;
    const items = new Map((await store.getInboxItems(userId, [...itemIds])).map((item) => [item.id, item]));
    const reasons = new Map<string, string>();
    for (const record of pending) {
      const step = catalog.get(record.type)?.steps[record.kind];
      const itemId = record.id.slice(0, record.id.lastIndexOf('.'));
      const held = step ? conditionHolds(step, items.get(itemId)) : undefined;
      if (held !== undefined) reasons.set(record.id, held);
    }
    if (reasons.size === 0) return;
    await context.runnerStarted;
    const withdrawn = await context.runner.cancel([...reasons.keys()]);
    for (const deliveryId of withdrawn) {
      const reason = reasons.get(deliveryId) as string;
      const updated = await store.updateDelivery(deliveryId, { status: 'skipped', reason, reasonCode: 'condition' }, [
        'pending',
      ]);
      if (!updated) continue;
      events.emit('delivery.skipped', { delivery: updated, reason, code: 'condition' });
      context.settlement?.settle(updated.notificationId, {
        deliveryId,
        recipientId: userId,
        kind: updated.kind,
        status: 'skipped',
        reason,
        reasonCode: 'condition',
      });
    }
  }

  return (userId, itemIds, change) => {
    if (itemIds.length === 0 || conditionalKinds(change).length === 0) return undefined;
    return withdraw(userId, itemIds, change).catch((error: unknown) => {
      // The step's own check still withholds it when it falls due.
      context.logger.warn('herald: could not withdraw escalation steps after an inbox change', { userId, error });
    });
  };
}
