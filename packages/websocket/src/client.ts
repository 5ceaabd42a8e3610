// `@herald/websocket/client`: the browser and Node client. Nothing reachable from here may import a Node module.
export * from './backoff';
export * from './herald-client';
export type * from './herald-client-types';
export * from './protocol';
