import { describe, expect, it } from 'vitest';
import { createSendRequest } from './send-request';

describe('createSendRequest', () => {
  it('builds a first attempt with the given content, ids no other call returns and a live signal', () => {
    const first = createSendRequest({ text: 'Hi' });
    const second = createSendRequest({ text: 'Hi' });
    expect(first).toMatchObject({ content: { text: 'Hi' }, attempt: 1, type: 'test.notification' });
    expect(first.signal.aborted).toBe(false);
    expect(first.signal).not.toBe(second.signal);
    expect(new Set([first.deliveryId, second.deliveryId]).size).toBe(2);
    expect(new Set([first.notificationId, second.notificationId]).size).toBe(2);
    expect(first.recipient.id).not.toBe(second.recipient.id);
  });

  it('lets overrides replace any field, content included', () => {
    const controller = new AbortController();
    const request = createSendRequest(
      { text: 'default' },
      {
        deliveryId: 'n1.0.sms',
        recipient: { id: 'ana', phone: '+14155550123' },
        content: { text: 'override' },
        attempt: 3,
        signal: controller.signal,
      },
    );
    expect(request).toMatchObject({
      deliveryId: 'n1.0.sms',
      recipient: { id: 'ana', phone: '+14155550123' },
      content: { text: 'override' },
      attempt: 3,
    });
    expect(request.signal).toBe(controller.signal);
  });
});
