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

export interface ChunkOptions {
  /** Elements per chunk (default `storeLimits.chunkSize`). */
  size?: number | undefined;
  /**
   * How many chunks may be under way at once (default 1: one after another). Chunks are always started in input
   * order, so a driver that sends each one over one connection keeps that order; a later chunk may be under way
   * when an earlier one fails.
   */
  inFlight?: number | undefined;
}

/** Runs `run` on each chunk, starting them in order with a turn of the event loop before each but the first. */
export async function forEachChunk<T>(
  items: readonly T[],
  run: (chunk: readonly T[]) => Promise<unknown>,
  options: ChunkOptions = {},
): Promise<void> {
  const inFlight = Math.max(1, Math.floor(options.inFlight ?? 1));
  const running: Promise<unknown>[] = [];
  let first = true;
  try {
    for (const chunk of chunksOf(items, options.size)) {
      if (running.length >= inFlight) await running.shift();
      if (!first) await yieldToEventLoop();
      first = false;
      running.push(run(chunk));
    }
    while (running.length > 0) await running.shift();
  } finally {
    // A failed chunk rejects the call; the ones already under way are let finish, unobserved.
    for (const pending of running) pending.catch(() => undefined);
  }
}

/**
 * Runs `run` on each chunk, as `forEachChunk`, and returns what the calls returned, concatenated in input order.
 */
export async function mapChunks<T, R>(
  items: readonly T[],
  run: (chunk: readonly T[]) => Promise<R[]>,
  options: ChunkOptions = {},
): Promise<R[]> {
  const size = options.size ?? storeLimits.chunkSize;
  if (items.length <= size) return items.length === 0 ? [] : run(items);
  const parts: R[][] = [];
  let index = 0;
  await forEachChunk(
    items,
    (chunk) => {
      const at = index++;
      return run(chunk).then((part) => {
        parts[at] = part;
      });
    },
    options,
  );
  const results: R[] = [];
  for (const part of parts) for (const result of part) results.push(result);
  return results;
}
