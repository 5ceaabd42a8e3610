export * from './channel-contract';
export * from './notification-recorder';
export * from './store-contract';
export * from './test-channel';
export * from './test-clock';
