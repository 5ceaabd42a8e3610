// @herald/core/spec: what plugin authors implement — the Channel, Store and Runner specs (each with a
// literal `specificationVersion`), the delivery error taxonomy, and the narrow host a channel attaches to.
// Any change here is potentially breaking for every plugin.

export type { Clock, TimerHandle } from '../clock';
export { systemClock } from '../clock';
export {
  ConfigurationError,
  DeliveryError,
  type DeliveryErrorCode,
  type DeliveryErrorOptions,
  type DeliveryFailureCode,
  deliveryFailureCodes,
  describeError,
  HeraldError,
  type HeraldErrorCode,
  type HeraldErrorOptions,
  heraldErrorCodes,
  isDeliveryFailureCode,
  isRetryableDeliveryCode,
  StoreError,
  toDeliveryError,
  ValidationError,
  type ValidationIssue,
} from '../errors';
export type { HeraldEventName, HeraldEvents } from '../events';
export type { InboxApi } from '../herald-types';
export { htmlToString, isSafeHtml, type SafeHtml } from '../html';
export { type Logger, silentLogger } from '../logger';
export { DEFAULT_NAMESPACE, namespaceSetting } from '../namespace';
export type { Recipient } from '../recipient';
export * from './channel';
export type { HeraldHost } from './host';
export type * from './realtime-relay';
export * from './runner';
export * from './store';
