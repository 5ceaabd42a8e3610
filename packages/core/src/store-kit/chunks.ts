// Bulk input in bounded pieces: no driver call, script argument list or pipeline grows with the caller's batch.

import { storeLimits } from './store-limits';

/** The array in consecutive chunks of at most `size` (the array itself when it fits in one). */
export function* chunksOf<T>(items: readonly T[], size: number = storeLimits.chunkSize): Generator<readonly T[]> {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`chunksOf: size must be a positive integer, got ${size}`);
  if (items.length <= size) {
    if (items.length > 0) yield items;
    return;
  }
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

/**
 * Lets timers and I/O run between chunks of a long piece of work, so one bulk call never stalls the process for
 * longer than one chunk takes.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

/** Runs `run` on each chunk in turn, yielding to the event loop between chunks. */
export async function forEachChunk<T>(
  items: readonly T[],
  run: (chunk: readonly T[]) => Promise<unknown>,
  size: number = storeLimits.chunkSize,
): Promise<void> {
  let first = true;
  for (const chunk of chunksOf(items, size)) {
    if (!first) await yieldToEventLoop();
    first = false;
    await run(chunk);
  }
}

/**
 * Runs `run` on each chunk in turn, as `forEachChunk`, and returns what the calls returned, concatenated in
 * input order.
 */
export async function mapChunks<T, R>(
  items: readonly T[],
  run: (chunk: readonly T[]) => Promise<R[]>,
  size: number = storeLimits.chunkSize,
): Promise<R[]> {
  if (items.length <= size) return items.length === 0 ? [] : run(items);
  const results: R[] = [];
  await forEachChunk(
    items,
    async (chunk) => {
      for (const result of await run(chunk)) results.push(result);
    },
    size,
  );
  return results;
}
