// Every migration, in order. A new one is a new file here (`0004-<what>.ts`) added at the end of the list.

import { storeTables } from './0001-store';
import { realtimeTables } from './0002-realtime';
import { statesAndWorkflows } from './0003-states-workflows';
import type { Migration } from './migration';

export type { Migration } from './migration';

export const migrations: readonly Migration[] = [storeTables, realtimeTables, statesAndWorkflows];
