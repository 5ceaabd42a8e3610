import { describe, expect, it } from 'vitest';
import { abnormalPathReason } from './request-target';

describe('abnormalPathReason', () => {
  // Node's parser refuses these on the wire; a rewrite by earlier middleware (`req.url = …`) can still produce them.
  it.each([
    ['/x/.\t./api', 'control character'],
    ['/x/.\n./api', 'control character'],
    ['/api\u007f/inbox', 'control character'],
  ])('refuses %j: %s', (target, reason) => {
    expect(abnormalPathReason(target)).toContain(reason);
  });

  it.each([
    '/',
    '/api/inbox/notifications',
    '/api/inbox/notifications/',
    '/api/inbox/devices/a%2Fb%5Cc',
    '/api/inbox/notifications?cursor=../..//x',
    '/api/inbox/...',
    'https://example.com',
    'https://example.com/api?x=..',
  ])('accepts %j', (target) => {
    expect(abnormalPathReason(target)).toBeUndefined();
  });
});
