// The Store contract suite: every Store, ours or a third party's, runs it to show it keeps the Store spec v1.

import type { Store } from '@herald/core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { badDigestsContract } from './store-contract-bad-digests';
import { badInboxContract } from './store-contract-bad-inbox';
import { badKeysContract } from './store-contract-bad-keys';
import { badRecordsContract } from './store-contract-bad-records';
import { bulkContract } from './store-contract-bulk';
import { concurrencyContract } from './store-contract-concurrency';
import { deliveriesContract } from './store-contract-deliveries';
import { digestsContract } from './store-contract-digests';
import type { StoreContractContext } from './store-contract-fixtures';
import { inboxContract } from './store-contract-inbox';
import { inboxStatesContract } from './store-contract-inbox-states';
import { devicesContract, idempotencyContract, preferencesContract } from './store-contract-keys';
import { outboxContract } from './store-contract-outbox';
import { throttlesContract } from './store-contract-throttles';
import { withheldContract } from './store-contract-withheld';

export interface StoreContractOptions {
  /** Runs after each test with that test's store, and after the suite with each peer; defaults to `store.close?.()`. */
  cleanup?: ((store: Store) => Promise<void>) | undefined;
  /**
   * Makes another store over the same data through a connection of its own (a networked store's new client).
   * The concurrency cases spread their calls over four of them, as separate processes would. Without it they all
   * go through the test's store, which suits an in-process store.
   */
  makePeer?: (() => Store | Promise<Store>) | undefined;
}

/** How many stores the concurrency cases spread their calls over. */
const PEERS = 4;

/**
 * Registers the Store contract suite. `makeStore` runs before every test; it may hand out a fresh store
 * or the same one each time: every test uses its own random user ids, keys and tokens, so a shared
 * backing database (one Redis for the whole run) is fine.
 *
 * ```ts
 * describeStoreContract('MyStore', () => new MyStore({ url }), {
 *   cleanup: (store) => store.close!(),
 *   makePeer: () => new MyStore({ url }),
 * });
 * ```
 */
export function describeStoreContract(
  name: string,
  makeStore: () => Store | Promise<Store>,
  options: StoreContractOptions = {},
): void {
  describe(`Store contract: ${name}`, () => {
    // Random per registration, so two runs against one database never share a user id.
    const run = Math.random().toString(36).slice(2, 10);
    let counter = 0;
    let current: Store | undefined;
    let peers: Promise<Store[]> | undefined;

    const context: StoreContractContext = {
      get store(): Store {
        if (!current) throw new Error('The store is only available inside a test');
        return current;
      },
      userId(label = 'user') {
        counter += 1;
        return `contract-${run}-${label}-${counter}`;
      },
      uniqueId(label) {
        counter += 1;
        return `contract-${run}-${label}-${counter}`;
      },
      async peers() {
        const makePeer = options.makePeer;
        if (!makePeer) return Array.from({ length: PEERS }, () => context.store);
        peers ??= Promise.all(Array.from({ length: PEERS }, () => makePeer()));
        return peers;
      },
    };

    beforeEach(async () => {
      current = await makeStore();
    });

    afterAll(async () => {
      const made = await peers;
      for (const peer of made ?? []) {
        if (options.cleanup) await options.cleanup(peer);
        else await peer.close?.();
      }
    });

    afterEach(async () => {
      const store = current;
      current = undefined;
      if (!store) return;
      if (options.cleanup) await options.cleanup(store);
      else await store.close?.();
    });

    it('declares specification v1', () => {
      expect(context.store.specificationVersion).toBe('v1');
    });

    inboxContract(context);
    inboxStatesContract(context);
    concurrencyContract(context);
    outboxContract(context);
    deliveriesContract(context);
    bulkContract(context);
    digestsContract(context);
    throttlesContract(context);
    withheldContract(context);
    idempotencyContract(context);
    devicesContract(context);
    preferencesContract(context);
    badInboxContract(context);
    badRecordsContract(context);
    badKeysContract(context);
    badDigestsContract(context);
  });
}
