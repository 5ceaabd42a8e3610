import { defineNotification } from '@herald/core';
import { expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import type { WhatsAppContent } from './index';

const schema = z.object({ title: z.string() });

test('importing the package types the whatsapp builder', () => {
  defineNotification({ type: 'a', schema, channels: { whatsapp: ({ payload }) => ({ text: payload.title }) } });
  defineNotification({
    type: 'b',
    schema,
    channels: { whatsapp: ({ payload }) => ({ template: { name: 't', language: 'en', body: [payload.title] } }) },
  });
  defineNotification({
    type: 'c',
    schema,
    channels: { whatsapp: () => ({ text: 'hi', template: { name: 't', language: 'en' } }) },
  });
  // @ts-expect-error content needs text or a template
  defineNotification({ type: 'd', schema, channels: { whatsapp: () => ({ previewUrl: true }) } });
  // @ts-expect-error a template needs a language
  defineNotification({ type: 'e', schema, channels: { whatsapp: () => ({ template: { name: 't' } }) } });
  defineNotification({
    type: 'f',
    schema,
    // @ts-expect-error body parameters are strings
    channels: { whatsapp: () => ({ template: { name: 't', language: 'en', body: [1] } }) },
  });
});

test('content is text, a template, or both', () => {
  expectTypeOf<{ text: string }>().toExtend<WhatsAppContent>();
  expectTypeOf<{ template: { name: string; language: string } }>().toExtend<WhatsAppContent>();
  expectTypeOf<{ previewUrl: boolean }>().not.toExtend<WhatsAppContent>();
});
