// The parent's side of the fault suite: child processes spoken to over IPC, a redis-server the tests may kill and
// stall, and the invariant every stopped notification must end with.
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createHerald, type DeliveryRecord, type Herald, type Store } from '@herald/core';
import { deliveryPages } from '@herald/core/store-kit';
import { type RedisServer, startRedisServer } from '@herald/test-peers/redis';
import type { Redis } from 'ioredis';
import { type HeraldProcessConfig, incidentOpened, KINDS, logKeys, type ToChild, type ToParent } from './chaos.fixture';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A redis-server the suite can kill, restart and stall: the append-only file is fsynced on every write (so a
 * SIGKILL loses nothing Redis acknowledged, and a restart finds it all again), and `DEBUG SLEEP` is allowed.
 */
export function startFaultyRedis(): Promise<RedisServer> {
  return startRedisServer({
    args: ['--appendonly', 'yes', '--appendfsync', 'always', '--enable-debug-command', 'yes'],
  });
}

/** Whether the server at `port` leaves a PING unanswered for `withinMs` (it is stalled, e.g. in DEBUG SLEEP). */
export function isStalled(port: number, withinMs = 150): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (stalled: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(stalled);
    };
    const timer = setTimeout(() => done(true), withinMs);
    socket.once('error', () => done(false));
    socket.once('data', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

export interface ChildHandle<Message> {
  readonly child: ChildProcess;
  /** Every message received so far, in order. */
  readonly messages: Message[];
  readonly exited: Promise<void>;
  send(message: unknown): void;
  /** The first message (received or still to come) that `accept` takes; fails when the child exits or time is up. */
  waitFor<M extends Message>(what: string, accept: (message: Message) => message is M, timeoutMs?: number): Promise<M>;
  waitFor(what: string, accept: (message: Message) => boolean, timeoutMs?: number): Promise<Message>;
  kill(): Promise<void>;
  output(): string;
}

const children = new Set<ChildHandle<unknown>>();

/** SIGKILLs every child still running (after each test file, whatever happened). */
export async function killChildren(): Promise<void> {
  await Promise.all([...children].map((handle) => handle.kill()));
}

/** Starts a fixture script in its own Node process, on package sources, with an IPC channel. */
export function spawnScript<Message>(
  script: URL,
  env: Record<string, string>,
  execArgv: string[] = [],
): ChildHandle<Message> {
  const child = spawn(
    process.execPath,
    [...execArgv, '--conditions=herald-source', '--import', 'tsx', fileURLToPath(script)],
    { cwd: repositoryRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const messages: Message[] = [];
  const listeners = new Set<() => void>();
  child.on('message', (message: Message) => {
    messages.push(message);
    for (const listener of listeners) listener();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null;
  const handle: ChildHandle<Message> = {
    child,
    messages,
    exited,
    send(message) {
      child.send(message as never);
    },
    waitFor(what: string, accept: (message: Message) => boolean, timeoutMs = 30_000): Promise<Message> {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = messages.find(accept);
          if (found === undefined) return false;
          finish();
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(`Gave up waiting for ${what} after ${timeoutMs} ms; the child said: ${output.slice(-3_000)}`),
          );
        }, timeoutMs);
        const onExit = (): void => {
          if (check()) return;
          finish();
          reject(new Error(`The child exited before ${what}: ${output.slice(-3_000)}`));
        };
        const finish = (): void => {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off('exit', onExit);
        };
        const listener = (): void => {
          check();
        };
        if (check()) return;
        if (!isRunning()) {
          onExit();
          return;
        }
        listeners.add(listener);
        child.once('exit', onExit);
      });
    },
    async kill() {
      if (isRunning()) child.kill('SIGKILL');
      await exited;
      children.delete(handle as ChildHandle<unknown>);
    },
    output: () => output,
  } as ChildHandle<Message>;
  children.add(handle as ChildHandle<unknown>);
  return handle;
}

export type HeraldProcess = ChildHandle<ToParent> & {
  readonly config: HeraldProcessConfig;
  tell(message: ToChild): void;
  /** Asks the child to close its Heralds and exit; SIGKILLs it if it has not within 10 s. */
  close(): Promise<void>;
};

/** Starts `herald-process.fixture.ts` with `config` and resolves once it is ready. */
export async function startHeraldProcess(config: HeraldProcessConfig): Promise<HeraldProcess> {
  const handle = spawnScript<ToParent>(new URL('./herald-process.fixture.ts', import.meta.url), {
    HERALD_CHAOS_PROCESS: JSON.stringify(config),
  });
  const process: HeraldProcess = Object.assign(handle, {
    config,
    tell: (message: ToChild) => handle.send(message),
    async close() {
      if (handle.child.exitCode === null && handle.child.signalCode === null) {
        handle.send({ type: 'close' } satisfies ToChild);
        const timer = setTimeout(() => handle.child.kill('SIGKILL'), 10_000);
        await handle.exited;
        clearTimeout(timer);
      }
      await handle.kill();
    },
  });
  await handle.waitFor(`the ${config.role} process to be ready`, (message) => message.type === 'ready');
  return process;
}

// --- the invariant ------------------------------------------------------------------------------------------

export interface CaseFigures {
  /** Pager messages sent for the notification, and those that went out more than once, with who sent them. */
  pagerSends: number;
  pagerDuplicates: { deliveryId: string; senders: string[] }[];
  /** Realtime in-app sends (a re-send carries the same item id, so the client shows it once). */
  inAppCalls: number;
  inAppShown: number;
  /** Deliveries handed to a runner, counted over every process; `handedTwice` lists those given more than once. */
  handOvers: number;
  handedTwice: { deliveryId: string; by: string[] }[];
  /** Processes whose dispatch resumed the notification. */
  resumedBy: string[];
}

export interface Invariant {
  problems: string[];
  figures: CaseFigures;
}

export interface InvariantSubject {
  store: Store;
  /** A Herald over the same store, for its delivery report (the counts a host reads). */
  reader: Herald;
  provider: Redis;
  runKey: string;
  notificationId: string;
  recipients: string[];
  /** Where a delivery stands in its runner (e.g. its BullMQ job's state), said of records left unsent. */
  whereIs?: (deliveryId: string) => Promise<string>;
}

/** A Herald that only reads: no relay, no channels. */
export function readerOf(store: Store): Herald {
  return createHerald({ store, relay: false, notifications: [incidentOpened] });
}

/** The provider-side logs of a run, read once and grouped by delivery id. */
export async function readLogs(provider: Redis, runKey: string): Promise<Map<string, Map<string, string[]>>> {
  const logs = new Map<string, Map<string, string[]>>();
  const lists = {
    pager: logKeys.sends(runKey, 'pager'),
    inApp: logKeys.sends(runKey, 'inApp'),
    inAppCalls: logKeys.inAppCalls(runKey),
    handed: logKeys.handed(runKey),
    resumed: logKeys.resumed(runKey),
  };
  for (const [name, key] of Object.entries(lists)) {
    const byId = new Map<string, string[]>();
    for (const line of await provider.lrange(key, 0, -1)) {
      const [id = '', role = ''] = line.split(' ');
      const roles = byId.get(id);
      if (roles) roles.push(role);
      else byId.set(id, [role]);
    }
    logs.set(name, byId);
  }
  return logs;
}

/**
 * What must hold for a notification whose first write succeeded, whatever stopped it: it is dispatched; every
 * intended recipient holds exactly one inbox item, unread, counted once; every delivery record exists once and is
 * sent; every delivery went to its channel at least once and the in-app item was shown exactly once.
 */
export async function checkInvariant(subject: InvariantSubject): Promise<Invariant> {
  const { store, notificationId, recipients } = subject;
  const problems: string[] = [];
  const record = await store.getNotification(notificationId);
  if (record?.status !== 'dispatched') problems.push(`the notification is ${record?.status ?? 'missing'}`);
  const records: DeliveryRecord[] = [];
  for await (const page of deliveryPages(store, { notificationId, limit: 100 })) records.push(...page.records);
  const expectedIds = recipients.flatMap((_, index) =>
    KINDS.map((kind) => `${notificationId}.${index.toString(36)}.${kind}`),
  );
  const recordIds = records.map((found) => found.id);
  if (new Set(recordIds).size !== recordIds.length) problems.push('a delivery record is listed twice');
  if (recordIds.length !== expectedIds.length) {
    problems.push(`${recordIds.length} delivery records, not ${expectedIds.length}`);
  }
  const notSent = records.filter((found) => found.status !== 'sent');
  if (notSent.length > 0) {
    const examples = await Promise.all(
      notSent.slice(0, 3).map(async (found) => {
        const where = subject.whereIs ? ` (${await subject.whereIs(found.id)})` : '';
        return `${found.id} ${found.status}, ${found.attempts} attempts${where}`;
      }),
    );
    problems.push(`${notSent.length} records not sent: ${examples.join('; ')}`);
  }
  const report = await subject.reader.deliveries.report(notificationId);
  if (report.total !== expectedIds.length || report.sent !== expectedIds.length) {
    problems.push(
      `the report says ${report.sent} sent of ${report.total}, not ${expectedIds.length} of ${expectedIds.length}`,
    );
  }
  for (const [index, userId] of recipients.entries()) {
    const page = await store.listInbox(userId, { limit: 100 });
    const count = await store.unreadCount(userId);
    const itemId = `${notificationId}.${index.toString(36)}`;
    if (page.items.length !== 1 || page.items[0]?.id !== itemId) {
      problems.push(`${userId} holds ${page.items.length} items (${page.items.map((item) => item.id).join(', ')})`);
    }
    if (count.total !== 1 || count.byType[incidentOpened.type] !== 1 || Object.keys(count.byType).length !== 1) {
      problems.push(`${userId}'s unread count is ${JSON.stringify(count)}`);
    }
    if (problems.length > 20) break;
  }

  const logs = await readLogs(subject.provider, subject.runKey);
  const mine = (name: string): Map<string, string[]> => {
    const found = new Map<string, string[]>();
    for (const [id, roles] of logs.get(name) ?? []) if (id.startsWith(`${notificationId}.`)) found.set(id, roles);
    return found;
  };
  const pager = mine('pager');
  const shown = mine('inApp');
  const inAppCalls = mine('inAppCalls');
  const handed = mine('handed');
  for (const id of expectedIds) {
    const sends = (id.endsWith('.pager') ? pager : shown).get(id)?.length ?? 0;
    if (id.endsWith('.pager') && sends === 0) problems.push(`${id} was never sent`);
    if (id.endsWith('.inApp') && sends !== 1) problems.push(`${id} was shown ${sends} times`);
    if (problems.length > 40) break;
  }
  const count = (byId: Map<string, string[]>): number =>
    [...byId.values()].reduce((sum, roles) => sum + roles.length, 0);
  const figures: CaseFigures = {
    pagerSends: count(pager),
    pagerDuplicates: [...pager]
      .filter(([, roles]) => roles.length > 1)
      .map(([deliveryId, senders]) => ({ deliveryId, senders })),
    inAppCalls: count(inAppCalls),
    inAppShown: count(shown),
    handOvers: count(handed),
    handedTwice: [...handed].filter(([, by]) => by.length > 1).map(([deliveryId, by]) => ({ deliveryId, by })),
    resumedBy: logs.get('resumed')?.get(notificationId) ?? [],
  };
  return { problems, figures };
}

/** Waits until the invariant holds (checking every 250 ms) and returns it; after `timeoutMs`, the last problems. */
export async function settledInvariant(subject: InvariantSubject, timeoutMs = 45_000): Promise<Invariant> {
  const giveUpAt = Date.now() + timeoutMs;
  // The cheap part first: dispatched, and no record pending.
  while (Date.now() < giveUpAt) {
    const record = await subject.store.getNotification(subject.notificationId);
    const pending = await subject.store.listDeliveries({
      notificationId: subject.notificationId,
      status: 'pending',
      limit: 1,
    });
    if (record?.status === 'dispatched' && pending.records.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  for (;;) {
    const invariant = await checkInvariant(subject);
    if (invariant.problems.length === 0 || Date.now() > giveUpAt) return invariant;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
