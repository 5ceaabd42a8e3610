// The numbers every store shares: page sizes, lease batches, the bounds on a user's devices and preferences, and the
// chunk size that bounds what a driver is handed in one call.

export const storeLimits = {
  /** `listInbox` / `listDeliveries` page size when the query names none. */
  defaultPageLimit: 20,
  /** The largest page a listing returns. */
  maxPageLimit: 100,
  /** The most notifications one `leaseNotifications` call takes. */
  maxLeaseLimit: 1_000,
  /** `registerDevice`'s `maxDevices` when the caller names none: a user's phones, tablets and browsers. */
  defaultMaxDevicesPerUser: 10,
  /** The largest `maxDevices` a store accepts: every notify fans out to each of a recipient's devices. */
  maxDevicesPerUser: 1_000,
  /** The longest device token: far above FCM's, APNs' and a Web Push subscription's. */
  maxDeviceTokenLength: 4_096,
  /** The most notification types one user's preferences name. */
  maxPreferenceTypes: 200,
  /** The most channel kinds one switches object (`channels`, or one type's) names. */
  maxPreferenceKinds: 16,
  /** The longest type or kind name in preferences. */
  maxPreferenceNameLength: 128,
  /**
   * The most elements (items, records, ids, user ids) a driver receives in one call. A bulk call is checked whole,
   * then handed over in chunks of this size, one after another, with a turn of the event loop between them: one
   * chunk is one Redis script of a few milliseconds, or a few milliseconds of MemoryStore work, and a Postgres
   * insert of 500 rows × 16 columns stays far below its 65,535 bind parameters.
   */
  chunkSize: 500,
  /**
   * The most events a digest bucket holds (a join's `maxEvents`): a bucket is read and rendered whole, so it stays
   * one bounded reply.
   */
  maxDigestEvents: 10_000,
  /** The most open buckets one `listOpenDigests` call returns. */
  maxDigestListLimit: 1_000,
  /** The largest throttle `limit`: a throttle keeps one log entry per delivery let through, at most this many. */
  maxThrottleLimit: 10_000,
  /** A refused batch lists this many issues with their paths, then one that says how many more there were. */
  maxIssues: 100,
} as const;
