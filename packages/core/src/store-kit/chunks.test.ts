import { describe, expect, it } from 'vitest';
import { chunksOf, forEachChunk, mapChunks } from './chunks';

describe('chunksOf', () => {
  it('hands back the array itself when it fits, nothing for an empty one, and bounded slices otherwise', () => {
    const small = [1, 2, 3];
    expect([...chunksOf(small, 3)]).toEqual([small]);
    expect([...chunksOf(small, 3)][0]).toBe(small);
    expect([...chunksOf([], 3)]).toEqual([]);
    expect([...chunksOf([1, 2, 3, 4, 5, 6, 7], 3)]).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(() => [...chunksOf(small, 0)]).toThrow(RangeError);
  });
});

describe('forEachChunk and mapChunks', () => {
  it('keep up to inFlight chunks under way, start them in order and return results in input order', async () => {
    const items = Array.from({ length: 10 }, (_, index) => index);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const results = await mapChunks(
      items,
      async (chunk) => {
        started.push(chunk[0]!);
        running += 1;
        most = Math.max(most, running);
        // Later chunks finish first: the results still come back in input order.
        await new Promise((resolve) => setTimeout(resolve, 20 - chunk[0]!));
        running -= 1;
        return [...chunk];
      },
      { size: 2, inFlight: 3 },
    );
    expect(results).toEqual(items);
    expect(started).toEqual([0, 2, 4, 6, 8]);
    expect(most).toBe(3);
  });

  it('run the chunks one after another, in order, with the event loop turning between them', async () => {
    const items = Array.from({ length: 1_001 }, (_, index) => index);
    const events: string[] = [];
    const seen = await mapChunks(
      items,
      async (chunk) => {
        events.push(`chunk ${chunk[0]}`);
        // A chunk's work is synchronous here: only a turn of the event loop lets this run before the next chunk.
        setImmediate(() => events.push('turn'));
        return chunk.map((item) => item * 2);
      },
      { size: 500 },
    );
    expect(seen).toEqual(items.map((item) => item * 2));
    expect(events.slice(0, 5)).toEqual(['chunk 0', 'turn', 'chunk 500', 'turn', 'chunk 1000']);
    const sizes: number[] = [];
    await forEachChunk(items, async (chunk) => sizes.push(chunk.length), { size: 400 });
    expect(sizes).toEqual([400, 400, 201]);
  });
});
