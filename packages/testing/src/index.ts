export * from './channel-contract';
export * from './store-contract';
