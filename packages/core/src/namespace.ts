// One name keeps one Herald deployment's Redis keys, BullMQ queues and realtime channels apart from another's on a
// shared Redis: the store, the runner, the gateway and the publisher each take it as `namespace` and derive their
// own names from it, so processes configured with the same value always meet.

import { ConfigurationError } from './errors';

/** The namespace when none is given. */
export const DEFAULT_NAMESPACE = 'herald';

/** Letters, digits, `.`, `_` and `-`, starting with a letter or digit: valid in a Redis key, a Redis Cluster key
 * outside its hash tag, a BullMQ queue name (no `:`) and a pub/sub channel. */
const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Reads and checks the `namespace` setting of a part named `owner` (e.g. `RedisStore`). `formerNames` are settings
 * the namespace replaced: a configuration still passing one is refused rather than silently using the default,
 * which would put that process's keys or channels where its peers never look.
 */
export function namespaceSetting(
  settings: object | undefined,
  owner: string,
  formerNames: readonly string[] = [],
): string {
  for (const former of formerNames) {
    if (settings && Object.hasOwn(settings, former)) {
      throw new ConfigurationError(
        `${owner} has no \`${former}\` setting any more: give it \`namespace\` (default "${DEFAULT_NAMESPACE}"), the one name the store, the runner, the gateway and the publisher share.`,
      );
    }
  }
  const given = (settings as { namespace?: unknown } | undefined)?.namespace;
  const value = given === undefined ? DEFAULT_NAMESPACE : given;
  if (typeof value !== 'string' || !NAMESPACE_PATTERN.test(value)) {
    throw new ConfigurationError(
      `${owner} namespace must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit: got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}
