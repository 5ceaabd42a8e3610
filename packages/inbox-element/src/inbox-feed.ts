// The list the panel shows: the client's live snapshot (newest items, kept current across tabs) merged with older
// pages read through the HTTP inbox API, each id once, newest first.

import type { InboxItem } from '@herald/core';

/** One page of the HTTP inbox API (`GET /notifications`). */
export interface InboxPageResult {
  items: InboxItem[];
  nextCursor?: string | undefined;
}

/** Reads a page of older items; `cursor` is the previous page's `nextCursor` (none for the first page). */
export type LoadInboxPage = (cursor: string | undefined) => Promise<InboxPageResult>;

export interface InboxFeed {
  /** Snapshot items win over loaded ones (they are kept current); archived ids are left out; newest first. */
  items(snapshotItems: readonly InboxItem[]): InboxItem[];
  /** Loads the next page, once at a time; resolves to false when there is nothing more to load. */
  loadMore(): Promise<boolean>;
  readonly hasMore: boolean;
  readonly isLoading: boolean;
  /** Notes a snapshot change: items that left it while younger than its oldest item were archived elsewhere. */
  snapshotChanged(previous: readonly InboxItem[], next: readonly InboxItem[], maxItems: number): void;
  /** Applies a change made in this tab to the loaded items (the snapshot applies it to its own). */
  update(ids: readonly string[] | 'all', change: (item: InboxItem) => InboxItem | undefined): void;
  archived(ids: readonly string[]): void;
}

export function createInboxFeed(load: LoadInboxPage | undefined): InboxFeed {
  const loaded = new Map<string, InboxItem>();
  const archived = new Set<string>();
  let cursor: string | undefined;
  let hasMore = load !== undefined;
  let loading: Promise<boolean> | undefined;

  return {
    items(snapshotItems) {
      const byId = new Map<string, InboxItem>();
      for (const item of loaded.values()) if (!archived.has(item.id)) byId.set(item.id, item);
      for (const item of snapshotItems) byId.set(item.id, item);
      return [...byId.values()].sort((a, b) => b.position - a.position);
    },
    loadMore() {
      if (!load || !hasMore) return Promise.resolve(false);
      loading ??= load(cursor)
        .then((page) => {
          for (const item of page.items) if (item.archivedAt === undefined) loaded.set(item.id, item);
          cursor = page.nextCursor;
          hasMore = cursor !== undefined;
          return hasMore;
        })
        .finally(() => {
          loading = undefined;
        });
      return loading;
    },
    get hasMore() {
      return hasMore;
    },
    get isLoading() {
      return loading !== undefined;
    },
    snapshotChanged(previous, next, maxItems) {
      const still = new Set(next.map((item) => item.id));
      const oldest = next.length >= maxItems ? (next[next.length - 1]?.position ?? 0) : 0;
      for (const item of previous) {
        if (still.has(item.id) || item.position < oldest) continue;
        archived.add(item.id);
      }
      // Unarchived elsewhere: the snapshot has it again.
      for (const id of still) archived.delete(id);
    },
    update(ids, change) {
      const wanted = ids === 'all' ? undefined : new Set(ids);
      for (const [id, item] of loaded) {
        if (wanted && !wanted.has(id)) continue;
        const next = change(item);
        if (next) loaded.set(id, next);
      }
    },
    archived(ids) {
      for (const id of ids) archived.add(id);
    },
  };
}
