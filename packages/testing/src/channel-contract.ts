// The Channel contract suite: every channel adapter, ours or a plugin author's, runs it against a real peer.

import { type ChannelContentMap, type ChannelKind, DeliveryError, type Recipient } from '@herald/core';
import { type Channel, isRetryableDeliveryCode, type SendRequest, type SendResult } from '@herald/core/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejectionOf } from './rejection';
import { createSendRequest } from './send-request';

export interface ChannelContractFixture<K extends ChannelKind> {
  channel: Channel<K>;
  /** Content the peer accepts. */
  content: ChannelContentMap[K];
  /** A recipient the peer delivers to. */
  recipient: Recipient;
  /** A recipient with no address for this channel: the channel must answer `skipped`. */
  recipientWithoutAddress?: Recipient;
  teardown?: () => Promise<void>;
}

const deliveryCodes = Object.keys(isRetryableDeliveryCode);

function request<K extends ChannelKind>(
  fixture: ChannelContractFixture<K>,
  overrides: Partial<SendRequest<ChannelContentMap[K]>> = {},
): SendRequest<ChannelContentMap[K]> {
  return createSendRequest(fixture.content, { type: 'contract.test', recipient: fixture.recipient, ...overrides });
}

function expectValidResult(result: SendResult): void {
  expect(['sent', 'queued', 'skipped']).toContain(result.status);
  if (result.status === 'skipped') expect(typeof result.reason).toBe('string');
  if (result.status !== 'skipped' && result.providerMessageId !== undefined) {
    expect(typeof result.providerMessageId).toBe('string');
  }
}

/**
 * Checks that a channel keeps the Channel spec v1: its identity, result shapes, error taxonomy,
 * abort handling, batch ordering and a repeatable `close`.
 */
export interface ChannelContractOptions {
  /** The channel needs no address (in-app channels): the missing-address check is not registered. */
  addressless?: boolean;
}

export function describeChannelContract<K extends ChannelKind>(
  name: string,
  setup: () => ChannelContractFixture<K> | Promise<ChannelContractFixture<K>>,
  options: ChannelContractOptions = {},
): void {
  describe(`Channel contract: ${name}`, () => {
    let fixture: ChannelContractFixture<K>;

    beforeAll(async () => {
      fixture = await setup();
    });

    afterAll(async () => {
      await fixture?.channel.close?.();
      await fixture?.teardown?.();
    });

    it('declares specification v1, a kind and an id', () => {
      expect(fixture.channel.specificationVersion).toBe('v1');
      expect(typeof fixture.channel.kind).toBe('string');
      expect(fixture.channel.kind.length).toBeGreaterThan(0);
      expect(typeof fixture.channel.id).toBe('string');
      expect(fixture.channel.id.length).toBeGreaterThan(0);
    });

    it('declares sane capabilities', () => {
      const capabilities = fixture.channel.capabilities ?? {};
      for (const key of ['maxBatchSize', 'ratePerSecond'] as const) {
        const value = capabilities[key];
        if (value !== undefined) expect(value).toBeGreaterThan(0);
      }
      if (fixture.channel.sendBatch) expect(capabilities.maxBatchSize ?? 1).toBeGreaterThanOrEqual(1);
    });

    it('sends valid content to a reachable recipient', async () => {
      const result = await fixture.channel.send(request(fixture));
      expectValidResult(result);
      expect(result.status).not.toBe('skipped');
    });

    it('sends again for a later attempt of the same delivery', async () => {
      const first = request(fixture);
      await fixture.channel.send(first);
      const retry = await fixture.channel.send({ ...first, attempt: 2, signal: new AbortController().signal });
      expectValidResult(retry);
    });

    if (!options.addressless) {
      it('answers skipped, with a reason, for a recipient without an address', async () => {
        const recipient = fixture.recipientWithoutAddress;
        if (!recipient) throw new Error('The fixture needs recipientWithoutAddress (or pass { addressless: true }).');
        const result = await fixture.channel.send(request(fixture, { recipient }));
        expect(result.status).toBe('skipped');
        if (result.status === 'skipped') expect(result.reason.length).toBeGreaterThan(0);
      });
    }

    it('rejects with a DeliveryError when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort(new Error('contract: aborted'));
      const error = await rejectionOf(
        fixture.channel.send(request(fixture, { signal: controller.signal })),
        DeliveryError,
      );
      expect(deliveryCodes).toContain(error.code);
      expect(typeof error.retryable).toBe('boolean');
    });

    it('returns batch results in request order, one per request (or claims no batch size)', async () => {
      const { sendBatch } = fixture.channel;
      if (!sendBatch) {
        // Without sendBatch, a batch size would make the dispatcher group requests for nothing.
        expect(fixture.channel.capabilities?.maxBatchSize).toBeUndefined();
        return;
      }
      const requests = [request(fixture), request(fixture), request(fixture)];
      const results = await sendBatch.call(fixture.channel, requests);
      expect(results).toHaveLength(requests.length);
      for (const result of results) {
        if (result instanceof Error) expect(DeliveryError.is(result)).toBe(true);
        else expectValidResult(result);
      }
    });
  });
}
