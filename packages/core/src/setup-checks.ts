// What createHerald checks of the parts it is given, before anything runs: each refusal is a
// ConfigurationError that says what was wrong and what to pass instead.

import { ConfigurationError } from './errors';
import { type AnyChannel, type ChannelKind, SUPPORTED_CHANNEL_SPECIFICATIONS } from './spec/channel';
import { type Runner, SUPPORTED_RUNNER_SPECIFICATIONS } from './spec/runner';
import { type Store, SUPPORTED_STORE_SPECIFICATIONS } from './spec/store';

function checkSpecification(what: string, given: unknown, supported: readonly string[]): void {
  if (!supported.includes(given as string)) {
    throw new ConfigurationError(
      `${what} implements specification ${JSON.stringify(given)}, which this version of @herald/core does not support. ` +
        `Supported: ${supported.join(', ')}.`,
    );
  }
}

export function checkStore(store: Store | undefined): asserts store is Store {
  if (!store || typeof store.insertInboxItems !== 'function') {
    throw new ConfigurationError(
      'createHerald needs a store: pass new MemoryStore() from @herald/storage, or a RedisStore.',
    );
  }
  checkSpecification('The store', store.specificationVersion, SUPPORTED_STORE_SPECIFICATIONS);
}

export function checkRunner(runner: Runner): void {
  if (typeof runner !== 'object' || runner === null || typeof runner.enqueue !== 'function') {
    throw new ConfigurationError('runner is not a Runner: it needs start(), enqueue(), cancel() and close().');
  }
  checkSpecification(`Runner "${String(runner.id)}"`, runner.specificationVersion, SUPPORTED_RUNNER_SPECIFICATIONS);
}

function checkChannel(channel: AnyChannel, index: number): void {
  if (typeof channel !== 'object' || channel === null || typeof channel.send !== 'function') {
    throw new ConfigurationError(`channels[${index}] is not a channel: it needs kind, id and send().`);
  }
  checkSpecification(`Channel "${String(channel.id)}"`, channel.specificationVersion, SUPPORTED_CHANNEL_SPECIFICATIONS);
  if (
    typeof channel.kind !== 'string' ||
    channel.kind.length === 0 ||
    typeof channel.id !== 'string' ||
    channel.id.length === 0
  ) {
    throw new ConfigurationError(`channels[${index}] needs a non-empty string kind and id.`);
  }
}

/** The registered channels by kind, in the order given (later ones of a kind are fallbacks). */
export function channelsByKind(channels: readonly AnyChannel[]): Map<ChannelKind, AnyChannel[]> {
  const byKind = new Map<ChannelKind, AnyChannel[]>();
  channels.forEach((channel, index) => {
    checkChannel(channel, index);
    const list = byKind.get(channel.kind);
    if (list) list.push(channel);
    else byKind.set(channel.kind, [channel]);
  });
  return byKind;
}
