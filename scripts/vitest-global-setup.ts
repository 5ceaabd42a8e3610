// Starts the real servers the tests share — one redis-server on a free port with a temporary directory —
// and stops them afterwards. Test files reach it through HERALD_TEST_REDIS_URL and keep to their own key prefix.
import { startRedisServer } from './redis-server';

export default async function setup(): Promise<() => Promise<void>> {
  const redis = await startRedisServer();
  process.env.HERALD_TEST_REDIS_URL = redis.url;
  return async () => {
    await redis.stop();
  };
}
