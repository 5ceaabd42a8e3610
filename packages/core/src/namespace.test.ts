import { describe, expect, it } from 'vitest';
import { ConfigurationError } from './errors';
import { DEFAULT_NAMESPACE, namespaceSetting } from './namespace';

describe('namespaceSetting', () => {
  it('defaults to "herald" and returns a valid namespace as given', () => {
    expect(namespaceSetting(undefined, 'RedisStore')).toBe(DEFAULT_NAMESPACE);
    expect(namespaceSetting({}, 'RedisStore')).toBe('herald');
    expect(namespaceSetting({ namespace: undefined }, 'RedisStore')).toBe('herald');
    expect(namespaceSetting({ namespace: 'app-1.prod_eu' }, 'RedisStore')).toBe('app-1.prod_eu');
    expect(namespaceSetting({ namespace: 'a'.repeat(64) }, 'RedisStore')).toBe('a'.repeat(64));
  });

  it.each([
    ['', '""'],
    ['app:herald', '"app:herald"'],
    ['app{1}', '"app{1}"'],
    ['has space', '"has space"'],
    ['-leading', '"-leading"'],
    ['a'.repeat(65), `"${'a'.repeat(65)}"`],
    [42, '42'],
    [null, 'null'],
  ])('refuses %j, naming the part and the value', (namespace, shown) => {
    const attempt = () => namespaceSetting({ namespace }, 'The gateway');
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(
      `The gateway namespace must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit: got ${shown}.`,
    );
  });

  it('refuses a setting the namespace replaced, even when a namespace is given too', () => {
    for (const settings of [{ prefix: 'app:' }, { prefix: undefined }, { prefix: 'x', namespace: 'x' }]) {
      expect(() => namespaceSetting(settings, 'RedisStore', ['prefix'])).toThrow(
        'RedisStore has no `prefix` setting any more: give it `namespace` (default "herald"), the one name the store, the runner, the gateway and the publisher share.',
      );
    }
    // A former name of another part is not this part's concern.
    expect(namespaceSetting({ prefix: 'bull' }, 'createBullMQRunner', ['queueName'])).toBe('herald');
  });
});
