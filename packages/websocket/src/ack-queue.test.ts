import { describe, expect, it } from 'vitest';
import { createAckQueue } from './ack-queue';
import type { AckFrame } from './protocol';

function queue(open = true) {
  const sent: AckFrame[] = [];
  const state = { open };
  const acks = createAckQueue({ canSend: () => state.open, send: (frame) => sent.push(frame) });
  return { acks, sent, state };
}

describe('ack queue', () => {
  it('sends queued acks in frames of at most 100 ids, each with a ref, once', () => {
    const { acks, sent } = queue();
    for (let index = 0; index < 150; index++) acks.add(`id-${index}`);
    acks.add('id-0');
    acks.flush();
    expect(sent.map((frame) => [frame.ids.length, frame.ref])).toEqual([
      [100, 'ack:1'],
      [50, 'ack:2'],
    ]);
    acks.flush();
    expect(sent).toHaveLength(2);
    acks.stop();
  });

  it('keeps acks while it cannot send, and sends them once it can', () => {
    const { acks, sent, state } = queue(false);
    acks.add('a');
    acks.flush();
    expect(sent).toEqual([]);
    expect(acks.pendingCount).toBe(1);
    state.open = true;
    acks.flush();
    expect(sent).toEqual([{ type: 'ack', ids: ['a'], ref: 'ack:1' }]);
  });

  it('sends recent acks again after the connection was lost, and a refused frame again', () => {
    const { acks, sent } = queue();
    acks.add('a');
    acks.flush();
    acks.connectionLost();
    acks.flush();
    expect(sent.map((frame) => frame.ids)).toEqual([['a'], ['a']]);
    acks.refused('ack:2');
    acks.refused('ack:2'); // once only
    acks.refused('not-an-ack');
    acks.flush();
    expect(sent.map((frame) => frame.ids)).toEqual([['a'], ['a'], ['a']]);
    acks.stop();
  });
});
