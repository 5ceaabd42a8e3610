// The redis-server every test process shares: the vitest global setup starts it and publishes its URL in
// HERALD_TEST_REDIS_URL; tests read it here and keep to their own key prefix.

export const TEST_REDIS_URL_VARIABLE = 'HERALD_TEST_REDIS_URL';

/** The shared test Redis's `redis://` URL; throws, saying how to run the tests, when no global setup started one. */
export function testRedisUrl(): string {
  const url = process.env[TEST_REDIS_URL_VARIABLE];
  if (!url) throw new Error(`${TEST_REDIS_URL_VARIABLE} is not set: run the tests through the root vitest config.`);
  return url;
}
