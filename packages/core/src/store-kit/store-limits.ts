// The numbers every store shares: page sizes, lease batches, and the chunk size that bounds what a driver is
// handed in one call.

export const storeLimits = {
  /** `listInbox` / `listDeliveries` page size when the query names none. */
  defaultPageLimit: 20,
  /** The largest page a listing returns. */
  maxPageLimit: 100,
  /** The most notifications one `leaseNotifications` call takes. */
  maxLeaseLimit: 1_000,
  /**
   * The most elements (items, records, ids, user ids) a driver receives in one call. A bulk call is checked whole,
   * then handed over in chunks of this size, one after another, with a turn of the event loop between them: one
   * chunk is one Redis script of a few milliseconds, or a few milliseconds of MemoryStore work, and a Postgres
   * insert of 500 rows × 16 columns stays far below its 65,535 bind parameters.
   */
  chunkSize: 500,
  /** A refused batch lists this many issues with their paths, then one that says how many more there were. */
  maxIssues: 100,
} as const;
