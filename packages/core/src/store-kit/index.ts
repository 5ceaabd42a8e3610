// @herald/core/store-kit: the rules every Store must enforce, in one place, for MemoryStore, RedisStore and
// third-party stores alike. Wrap a driver with `createStore` (or extend `CheckedStore`) and it only ever sees
// checked, normalised, bounded input.

// The status lists a store checks against, as the spec defines them.
export {
  deliveryStatuses,
  inboxArchivedFilters,
  inboxStatusFilters,
  notificationStatuses,
  skipReasonCodes,
} from '../spec/store';
export { markDeliveredMany, updateDeliveries } from './bulk-fallbacks';
export {
  type CheckedDeliveryQuery,
  type CheckedDeliveryUpdate,
  checkDeliveryPatch,
  checkDeliveryQuery,
  checkDeliveryRecord,
  checkDeliveryUpdate,
  checkOnlyFrom,
} from './check-deliveries';
export {
  type CheckedRegisterDeviceOptions,
  checkDevice,
  checkPreferences,
  checkRegisterDeviceOptions,
  checkRemoveDeviceOptions,
  preferenceNameIssue,
} from './check-devices';
export {
  type CheckedDigestJoin,
  type CheckedDigestListing,
  checkDigestJoin,
  checkDigestListing,
  type PayloadCopies,
} from './check-digests';
export {
  type CheckedAck,
  type CheckedBulkOptions,
  type CheckedInboxQuery,
  checkAck,
  checkBulkOptions,
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
export { type CheckedThrottleRequest, checkThrottleRequest } from './check-throttles';
export { checkTimePreferences, isTimeZone } from './check-time-preferences';
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
export { copyPlain } from './copy-plain';
export { type CursorKind, decodeCursor, encodeCursor } from './cursor-codec';
export { type InboxItemOrigin, toNewInboxItem } from './inbox-item';
export { IssueList, plainCopy } from './input-issues';
export { deliveryPages, inboxPages, type PageThroughOptions, pageThrough } from './page-through';
export type { DriverPage, StoreDriver } from './store-driver';
export { storeLimits } from './store-limits';
