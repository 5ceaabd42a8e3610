import type { DeliveredAck } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { createAckBatcher } from './ack-batcher';

describe('ack batcher', () => {
  it('writes the acks of one turn in one call and answers each with its own ids', async () => {
    const calls: DeliveredAck[][] = [];
    const batcher = createAckBatcher(async (acks) => {
      calls.push(acks);
      // The store answers per entry: here, every id but "old".
      return acks.map((ack) => ack.ids.filter((id) => id !== 'old'));
    });
    const answers = await Promise.all([
      batcher.acknowledge('ann', ['a1', 'old']),
      batcher.acknowledge('bob', ['b1']),
      batcher.acknowledge('ann', ['a2']),
    ]);
    expect(calls).toEqual([
      [
        { userId: 'ann', ids: ['a1', 'old'] },
        { userId: 'bob', ids: ['b1'] },
        { userId: 'ann', ids: ['a2'] },
      ],
    ]);
    expect(answers).toEqual([['a1'], ['b1'], ['a2']]);
    // A later turn is a call of its own.
    expect(await batcher.acknowledge('cay', ['c1'])).toEqual(['c1']);
    expect(calls).toHaveLength(2);
  });

  it('rejects every ack of a failed write, and the next turn writes again', async () => {
    let isDown = true;
    const batcher = createAckBatcher(async (acks) => {
      if (isDown) throw new Error('store down');
      return acks.map((ack) => ack.ids);
    });
    const results = await Promise.allSettled([batcher.acknowledge('ann', ['a1']), batcher.acknowledge('bob', ['b1'])]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('store down'));
    isDown = false;
    expect(await batcher.acknowledge('ann', ['a1'])).toEqual(['a1']);
  });
});
