// Kept for the storage fault tests, which still import the Redis launcher by this path: it lives in
// @herald/test-peers now (`@herald/test-peers/redis`); remove this file once nothing imports it.
export * from '@herald/test-peers/redis';
