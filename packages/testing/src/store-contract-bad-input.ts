// Store contract: bad input. Every store refuses the same inputs with the same ValidationError (path and message),
// and a refused call changes nothing: each case checks the state it could have touched afterwards.

import type { Store } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { inboxItem, isoNow, listAllInbox, type StoreContractContext } from './store-contract-fixtures';

/** Awaits the call and checks it rejected with exactly these issues. */
async function expectIssues(call: Promise<unknown>, issues: { path: string; message: string }[]): Promise<void> {
  const outcome = await call.then(
    (value) => ({ rejected: false as const, value }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  if (!outcome.rejected) {
    throw new Error(`Expected a ValidationError about ${issues[0]?.path}, got ${JSON.stringify(outcome.value)}`);
  }
  const error = outcome.error as { code?: unknown; issues?: unknown };
  expect(error.code, `expected a ValidationError, got ${String(outcome.error)}`).toBe('VALIDATION');
  expect((error.issues as { path: string; message: string }[]).map(({ path, message }) => ({ path, message }))).toEqual(
    issues,
  );
}

/** Everything about a user's inbox that a refused call could have changed. */
async function inboxState(store: Store, userId: string): Promise<unknown> {
  return {
    items: await listAllInbox(store, userId),
    unread: await store.unreadCount(userId),
    lastPosition: await store.lastPosition(userId),
  };
}

export function badInputContract(context: StoreContractContext): void {
  describe('bad input: id lists and read-all options', () => {
    it('refuses ids given as a string rather than an array, on every call that takes ids', async () => {
      const userId = context.userId();
      // A one-letter id: a store that walks the string's characters would find and change it.
      await context.store.insertInboxItems([inboxItem(context, userId, { id: 'a' })]);
      const before = await inboxState(context.store, userId);
      const id = 'a' as unknown as string[];
      const arrayOfIds = [{ path: 'ids', message: 'Expected an array of ids' }];
      await expectIssues(context.store.markRead(userId, id, isoNow()), arrayOfIds);
      await expectIssues(context.store.markDelivered(userId, id, isoNow()), arrayOfIds);
      await expectIssues(context.store.markUnread(userId, id), arrayOfIds);
      await expectIssues(context.store.getInboxItems(userId, id), arrayOfIds);
      expect(await inboxState(context.store, userId)).toEqual(before);
    });

    it('refuses a read-all type that is not a non-empty string', async () => {
      const userId = context.userId();
      await context.store.insertInboxItems([inboxItem(context, userId), inboxItem(context, userId)]);
      const before = await inboxState(context.store, userId);
      for (const type of [42, '', null]) {
        await expectIssues(context.store.markAllRead(userId, { type } as unknown as { type: string }, isoNow()), [
          { path: 'options.type', message: 'Expected a non-empty string' },
        ]);
      }
      expect(await inboxState(context.store, userId)).toEqual(before);
    });
  });
}
