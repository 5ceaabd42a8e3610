// Every migration, in order. A new one is a new file here (`0003-<what>.ts`) added at the end of the list.

import { storeTables } from './0001-store';
import { realtimeTables } from './0002-realtime';
import type { Migration } from './migration';

export type { Migration } from './migration';

export const migrations: readonly Migration[] = [storeTables, realtimeTables];
