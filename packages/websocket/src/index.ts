export * from './protocol';
export * from './realtime-publisher';
export {
  createRedisRelay,
  type RealtimeRedis,
  type RealtimeRedisSubscriber,
  type RedisRelaySettings,
} from './redis-relay';
export type { RateLimitSettings } from './token-bucket';
export * from './token-extraction';
export * from './websocket-gateway';
