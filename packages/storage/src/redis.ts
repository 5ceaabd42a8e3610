// `@herald/storage/redis`: the Redis store. ioredis is an optional peer dependency, imported here only as a type.
export { createRedisStore, type RedisClient, RedisStore, type RedisStoreSettings } from './redis-store';
