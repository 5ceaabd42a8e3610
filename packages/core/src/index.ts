// @herald/core: the host API — define notifications, create Herald, and the types a host sees.
// Plugin authors implement the specs in @herald/core/spec.

export type { Authenticate, AuthenticatedUser, AuthenticationRequest } from './authentication';
export type { Clock } from './clock';
export {
  ConfigurationError,
  DeliveryError,
  type DeliveryErrorCode,
  type DeliveryFailureCode,
  // Thrown by notify() once the notification is recorded: hosts retry it with the same idempotencyKey.
  DispatchIncompleteError,
  HeraldError,
  type HeraldErrorCode,
  heraldErrorCodes,
  StoreError,
  ValidationError,
  type ValidationIssue,
} from './errors';
export type { ExclusionReason, HeraldEventName, HeraldEvents } from './events';
export { createHerald } from './herald';
export type * from './herald-types';
export { escapeHtml, html, type SafeHtml, safeUrl, UNSAFE_URL, unsafeHtml } from './html';
export type { Logger } from './logger';
export * from './notification';
export type { Recipient } from './recipient';
export type { RetryPolicySettings } from './retry-policy';
export { isSkip, type Skip, skip } from './skip';
export type { AnyChannel, ChannelContentMap, ChannelKind, InAppContent } from './spec/channel';
export type { Runner } from './spec/runner';
export type {
  BulkInboxOptions,
  DeliveredAck,
  DeliveryFailure,
  DeliveryPage,
  DeliveryQuery,
  DeliveryRecord,
  DeliveryStatus,
  Device,
  DevicePlatform,
  DigestBucket,
  DigestEvent,
  InboxArchivedFilter,
  InboxItem,
  InboxPage,
  InboxQuery,
  InboxStatusFilter,
  NotificationRecord,
  Preferences,
  QuietHours,
  SkipReasonCode,
  Store,
  StoreTransaction,
  TypedBulkInboxOptions,
  UnreadCount,
} from './spec/store';
export { skipReasonCodes } from './spec/store';
export type { DigestsApi } from './timing/digests';
export type { Duration, DurationUnit } from './timing/duration';
export type { Weekday } from './timing/zoned-time';
