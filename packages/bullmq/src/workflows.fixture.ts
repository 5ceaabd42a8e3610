// Timing features through BullMQ across processes: the definitions the parent and its child workers share, and a
// way to start `workflow-process.fixture.ts` as a child whose sends land in Redis lists the parent reads.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defineNotification } from '@herald/core';
import { z } from 'zod';

declare module '@herald/core' {
  interface ChannelContentMap {
    /** A kind only these tests use: an email-like channel whose digests and escalations the tests read. */
    letter: { subject: string; text: string };
  }
}

const ticket = z.object({ ticketId: z.string(), title: z.string() });

/** Escalation: the in-app item at once; the letter a second later, only if the item is still unread. */
export const ticketEscalated = defineNotification({
  type: 'ticket.escalated',
  schema: ticket,
  channels: {
    inApp: ({ payload }) => ({ title: 'Ticket', body: payload.title }),
    letter: { after: '1s', unless: 'read', content: ({ payload }) => ({ subject: 'Unread', text: payload.title }) },
  },
});

/** Throttle: at most three pager messages an hour per recipient; in-app is not counted. */
export const ticketThrottled = defineNotification({
  type: 'ticket.throttled',
  schema: ticket,
  throttle: { limit: 3, per: '1h', channels: ['pager'] },
  channels: { pager: ({ payload }) => ({ text: payload.title }) },
});

const digestedByWindow = new Map<number, ReturnType<typeof makeDigested>>();

/** Digest: letters of one ticket gather for `windowMs` after each event; every event shown (keep 50 + 50). */
export function ticketDigested(windowMs: number): ReturnType<typeof makeDigested> {
  let found = digestedByWindow.get(windowMs);
  if (!found) {
    found = makeDigested(windowMs);
    digestedByWindow.set(windowMs, found);
  }
  return found;
}

function makeDigested(windowMs: number) {
  return defineNotification({
    type: 'ticket.digested',
    schema: ticket,
    channels: {
      letter: ({ payload, events, digest }) => ({
        subject: `${digest.count} on ${payload.ticketId}`,
        text: events.map((event) => event.payload.title).join('\n'),
      }),
    },
    digest: {
      key: ({ payload }) => payload.ticketId,
      window: windowMs,
      maxWindow: '1m',
      keep: 50,
      channels: ['letter'],
    },
  });
}

export interface WorkflowChildConfig {
  /** Written beside each send, so the parent sees which process sent it. */
  role: string;
  redisUrl: string;
  /** The store's and the runner's namespace. */
  namespace: string;
  /** `<runKey>:sends:<kind>` (JSON per send), `<runKey>:entered:<kind>` (a hung send), `<runKey>:stalled`. */
  runKey: string;
  digestWindowMs: number;
  /** Start Herald only once this Redis key exists: a process booted ahead, to take over the moment it is told. */
  startOn?: string;
  /** Sends of these kinds are entered (and noted) but never return: the process is to be killed there. */
  hang?: string[];
  /** The hand-over of a digest's close to BullMQ never returns: the process is to be killed before it. */
  stallDigestHandOver?: boolean;
  /** Before acting, wait until this Redis key exists (the parent's start signal for bursts). */
  waitFor?: string;
  /** Digest events (their titles) for `ana` on ticket `t-1`, notified all at once. */
  digestEvents?: string[];
  /** Throttled notifications for `ana`, notified all at once. */
  throttled?: number;
  /** An escalated notification for this recipient. */
  escalateTo?: string;
}

/** One send as the child's channels log it. */
export interface LoggedSend {
  deliveryId: string;
  role: string;
  subject?: string;
  text: string;
  at: number;
}

export interface WorkflowChild {
  process: ChildProcess;
  /** Herald and its workers are up. */
  started: Promise<void>;
  /** Its actions (if any) returned. */
  ready: Promise<void>;
  exited: Promise<void>;
  kill(): Promise<void>;
}

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const childScript = fileURLToPath(new URL('./workflow-process.fixture.ts', import.meta.url));
const children: WorkflowChild[] = [];

export function spawnWorkflowChild(config: WorkflowChildConfig): WorkflowChild {
  const child = spawn(process.execPath, ['--conditions=herald-source', '--import', 'tsx', childScript], {
    cwd: repositoryRoot,
    env: { ...process.env, HERALD_WORKFLOW_CHILD: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = (text: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (output.includes(`${text}\n`)) resolve();
      };
      child.stdout?.on('data', check);
      void exited.then(() =>
        reject(new Error(`The ${config.role} child exited before "${text}": ${output.slice(-2_000)}`)),
      );
    });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const started = line('started');
  const ready = line('ready');
  started.catch(() => undefined);
  ready.catch(() => undefined);
  const handle: WorkflowChild = {
    process: child,
    started,
    ready,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  children.push(handle);
  return handle;
}

export async function killWorkflowChildren(): Promise<void> {
  await Promise.all(children.splice(0).map((child) => child.kill()));
}
