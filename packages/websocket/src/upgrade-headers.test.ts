import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { UpgradeHeaders } from './upgrade-headers';

describe('UpgradeHeaders', () => {
  const source: IncomingHttpHeaders = {
    host: '127.0.0.1:1',
    cookie: 'a=1; b=2',
    'x-forwarded-for': ['10.0.0.1', '10.0.0.2'],
    authorization: 'Bearer t',
  };

  it('reads like a fetch Headers: case-insensitive, combined values, sorted iteration', () => {
    const headers = new UpgradeHeaders(source);
    const fetchHeaders = new Headers();
    for (const [name, value] of Object.entries(source)) {
      for (const each of Array.isArray(value) ? value : [value!]) fetchHeaders.append(name, each);
    }
    expect(headers.get('Authorization')).toBe('Bearer t');
    expect(headers.get('X-Forwarded-For')).toBe(fetchHeaders.get('x-forwarded-for'));
    expect(headers.get('missing')).toBeNull();
    expect(headers.has('COOKIE')).toBe(true);
    expect([...headers]).toEqual([...(fetchHeaders as unknown as Iterable<[string, string]>)]);
    expect(new Headers(headers).get('cookie')).toBe('a=1; b=2');
    const seen: string[] = [];
    headers.forEach((_value, name) => {
      seen.push(name);
    });
    expect(seen).toEqual(['authorization', 'cookie', 'host', 'x-forwarded-for']);
    expect(Object.prototype.toString.call(headers)).toBe('[object Headers]');
  });

  it('refuses changes with a clear error and leaves the request alone', () => {
    const headers = new UpgradeHeaders(source);
    expect(() => headers.set('cookie', 'x')).toThrow('The headers of an upgrade request cannot be changed');
    expect(() => headers.append('x', 'y')).toThrow(TypeError);
    expect(() => headers.delete('cookie')).toThrow(TypeError);
    expect(source.cookie).toBe('a=1; b=2');
  });
});
