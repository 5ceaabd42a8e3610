// The notification types this process knows: from `createHerald({ notifications })` and every notify call.
// Workers in other processes render from it, so a type must mean one definition.

import { ConfigurationError } from './errors';
import type { AnyNotificationDefinition } from './notification';

export interface NotificationCatalog {
  register(definition: AnyNotificationDefinition): void;
  get(type: string): AnyNotificationDefinition | undefined;
  /** Every definition known so far. */
  all(): Iterable<AnyNotificationDefinition>;
  /** How many definitions are known: it changes exactly when `all()` does (a definition is never replaced). */
  readonly size: number;
}

export function createNotificationCatalog(definitions: readonly AnyNotificationDefinition[] = []): NotificationCatalog {
  const byType = new Map<string, AnyNotificationDefinition>();
  const catalog: NotificationCatalog = {
    register(definition) {
      const existing = byType.get(definition.type);
      if (existing && existing !== definition) {
        throw new ConfigurationError(
          `Two different definitions use the notification type "${definition.type}"; types must be unique.`,
        );
      }
      byType.set(definition.type, definition);
    },
    get: (type) => byType.get(type),
    all: () => byType.values(),
    get size() {
      return byType.size;
    },
  };
  for (const definition of definitions) catalog.register(definition);
  return catalog;
}
