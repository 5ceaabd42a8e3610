export * from './protocol';
export * from './realtime-publisher';
export type { RealtimeRedis, RealtimeRedisSubscriber } from './redis-relay';
export type { RateLimitSettings } from './token-bucket';
export * from './token-extraction';
export * from './websocket-gateway';
