// @herald/core/store-kit: the rules every Store must enforce, in one place, for MemoryStore, RedisStore and
// third-party stores alike.

export { type InboxItemOrigin, toNewInboxItem } from './inbox-item';
