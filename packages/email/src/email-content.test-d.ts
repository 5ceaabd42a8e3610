import { type ChannelContentMap, defineNotification, html } from '@herald/core';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { EmailContent } from './index';

const schema = z.object({ title: z.string() });

describe('EmailContent', () => {
  it('is the email entry of ChannelContentMap once @herald/email is imported', () => {
    expectTypeOf<ChannelContentMap['email']>().toEqualTypeOf<EmailContent>();
  });

  it('types email builders in defineNotification', () => {
    defineNotification({
      type: 'html.only',
      schema,
      channels: { email: ({ payload }) => ({ subject: payload.title, html: html`<p>${payload.title}</p>` }) },
    });
    defineNotification({
      type: 'text.only',
      schema,
      channels: { email: ({ payload }) => ({ subject: payload.title, text: payload.title, headers: { 'X-A': 'b' } }) },
    });
    defineNotification({
      type: 'neither',
      schema,
      // @ts-expect-error: an email needs html or text
      channels: { email: ({ payload }) => ({ subject: payload.title }) },
    });
    defineNotification({
      type: 'no.subject',
      schema,
      // @ts-expect-error: subject is required
      channels: { email: ({ payload }) => ({ text: payload.title }) },
    });
  });
});
