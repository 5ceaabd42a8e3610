// Starts the real servers the tests share — one redis-server on a free port with a temporary directory —
// and stops them afterwards. Test files reach it through `testRedisUrl()` and keep to their own key prefix.
import { startRedisServer } from './redis-server';
import { TEST_REDIS_URL_VARIABLE } from './test-redis';

export default async function setup(): Promise<() => Promise<void>> {
  const redis = await startRedisServer();
  process.env[TEST_REDIS_URL_VARIABLE] = redis.url;
  return async () => {
    await redis.stop();
  };
}
