// Walking a cursor-paged listing to its end, written once: `for await (const page of inboxPages(store, userId))`.

import type { DeliveryPage, DeliveryQuery, InboxPage, InboxQuery, Store } from '../spec/store';

export interface PageThroughOptions {
  /**
   * Stops with an error after this many pages (default: no bound), so a listing whose cursor never ends fails
   * instead of looping forever.
   */
  maxPages?: number | undefined;
}

/**
 * The pages of a listing, first to last: calls `fetchPage` with no cursor, then with each page's `nextCursor` until a
 * page has none. Pages are fetched one at a time, as the loop asks for them.
 */
export async function* pageThrough<Page extends { nextCursor?: string | undefined }>(
  fetchPage: (cursor: string | undefined) => Promise<Page>,
  options: PageThroughOptions = {},
): AsyncGenerator<Page, void, undefined> {
  const maxPages = options.maxPages ?? Number.POSITIVE_INFINITY;
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages >= maxPages) throw new Error(`The listing still had a nextCursor after ${maxPages} pages`);
    const page = await fetchPage(cursor);
    yield page;
    if (page.nextCursor === undefined) return;
    cursor = page.nextCursor;
  }
}

/** Every page of a user's inbox listing, newest first. */
export function inboxPages(
  store: Pick<Store, 'listInbox'>,
  userId: string,
  query: Omit<InboxQuery, 'cursor'> = {},
  options: PageThroughOptions = {},
): AsyncGenerator<InboxPage, void, undefined> {
  return pageThrough((cursor) => store.listInbox(userId, cursor === undefined ? query : { ...query, cursor }), options);
}

/** Every page of a delivery listing, newest first. */
export function deliveryPages(
  store: Pick<Store, 'listDeliveries'>,
  query: Omit<DeliveryQuery, 'cursor'> = {},
  options: PageThroughOptions = {},
): AsyncGenerator<DeliveryPage, void, undefined> {
  return pageThrough((cursor) => store.listDeliveries(cursor === undefined ? query : { ...query, cursor }), options);
}
