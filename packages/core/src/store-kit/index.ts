// @herald/core/store-kit: the rules every Store must enforce, in one place, for MemoryStore, RedisStore and
// third-party stores alike. Wrap a driver with `createStore` (or extend `CheckedStore`) and it only ever sees
// checked, normalised, bounded input.

// The status lists a store checks against, as the spec defines them.
export { deliveryStatuses, inboxStatusFilters, notificationStatuses } from '../spec/store';
export {
  type CheckedDeliveryQuery,
  checkDeliveryPatch,
  checkDeliveryQuery,
  checkDeliveryRecord,
  checkOnlyFrom,
} from './check-deliveries';
export { checkDevice, checkPreferences, checkRemoveDeviceOptions } from './check-devices';
export {
  type CheckedInboxQuery,
  checkInboxQuery,
  checkNewInboxItem,
  checkReadAllOptions,
  checkReplay,
} from './check-inbox';
export {
  type CheckedBegin,
  type CheckedLease,
  checkBeginNotification,
  checkLeaseNotifications,
} from './check-notifications';
export {
  type CheckedDate,
  checkDate,
  checkId,
  checkIds,
  checkOneOf,
  checkPageLimit,
  checkPositiveInteger,
  checkTtl,
} from './check-values';
export { CheckedStore, type CheckedStoreSettings, createStore } from './checked-store';
export { type ChunkOptions, chunksOf, forEachChunk, mapChunks, yieldToEventLoop } from './chunks';
export { type CursorKind, decodeCursor, encodeCursor } from './cursor-codec';
export { type InboxItemOrigin, toNewInboxItem } from './inbox-item';
export { IssueList, plainCopy } from './input-issues';
export { deliveryPages, inboxPages, type PageThroughOptions, pageThrough } from './page-through';
export type { DriverPage, StoreDriver } from './store-driver';
export { storeLimits } from './store-limits';
