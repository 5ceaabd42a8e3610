// Recipient phone numbers: WhatsApp addresses people by E.164 number.

import { DeliveryError, type Recipient } from '@herald/core';

const e164 = /^\+[1-9]\d{6,14}$/;

/** The recipient's E.164 number, `undefined` when they have none; INVALID_RECIPIENT when it is malformed. */
export function recipientPhone(recipient: Recipient): string | undefined {
  const { phone } = recipient;
  if (phone === undefined || phone === '') return undefined;
  if (typeof phone !== 'string' || !e164.test(phone)) {
    throw new DeliveryError(
      'INVALID_RECIPIENT',
      `Recipient ${recipient.id} has phone ${JSON.stringify(phone)}, which is not E.164 (a "+", the country code and the number, digits only, e.g. +14155550123).`,
    );
  }
  return phone;
}
