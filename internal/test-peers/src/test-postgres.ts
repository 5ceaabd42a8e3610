// The PostgreSQL server every test process shares: the vitest global setup starts it and publishes its URL in
// HERALD_TEST_POSTGRES_URL; tests read it here and keep to a schema or database of their own.

export const TEST_POSTGRES_URL_VARIABLE = 'HERALD_TEST_POSTGRES_URL';

/** The shared test server's `postgres://` URL; throws, saying how to run the tests, when no global setup started one. */
export function testPostgresUrl(): string {
  const url = process.env[TEST_POSTGRES_URL_VARIABLE];
  if (!url) throw new Error(`${TEST_POSTGRES_URL_VARIABLE} is not set: run the tests through the root vitest config.`);
  return url;
}
