export { type InboxErrorBody, type InboxErrorCode, type InboxErrorIssue, isUnmatchedRoute } from './http-error';
export * from './inbox-api-types';
export * from './inbox-handler';
export * from './node-handler';
