export { defineHeraldInbox } from './define-herald-inbox';
export {
  HeraldInboxElement,
  type HeraldInboxNavigateDetail,
  type HeraldInboxRenderContext,
  type HeraldInboxRenderItem,
  type HeraldInboxToggleDetail,
} from './herald-inbox-element';
export type { InboxPageResult, LoadInboxPage } from './inbox-feed';
export { type HeraldInboxFormatters, type HeraldInboxTexts, relativeTime, textsFor } from './inbox-texts';
