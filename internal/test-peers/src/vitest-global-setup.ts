// Starts the real servers the tests share — one redis-server and one PostgreSQL server, each on a free port with a
// temporary directory — and stops them afterwards. Test files reach them through `testRedisUrl()` and
// `testPostgresUrl()` and keep to their own key prefix or schema.
import { startPostgresServer } from './postgres-server';
import { startRedisServer } from './redis-server';
import { TEST_POSTGRES_URL_VARIABLE } from './test-postgres';
import { TEST_REDIS_URL_VARIABLE } from './test-redis';

export default async function setup(): Promise<() => Promise<void>> {
  const [redis, postgres] = await Promise.all([startRedisServer(), startPostgresServer()]);
  process.env[TEST_REDIS_URL_VARIABLE] = redis.url;
  process.env[TEST_POSTGRES_URL_VARIABLE] = postgres.url;
  return async () => {
    await Promise.all([redis.stop(), postgres.stop()]);
  };
}
