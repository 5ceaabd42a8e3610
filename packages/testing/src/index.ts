export * from './channel-contract';
export * from './notification-recorder';
export * from './store-contract';
export { unreadTruth } from './store-contract-fixtures';
export * from './test-channel';
export * from './test-clock';
