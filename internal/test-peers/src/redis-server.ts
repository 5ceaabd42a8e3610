// Starts a throwaway redis-server on a free loopback port with its own temporary directory. Used by the
// test global setup, by tests that need a Redis they can kill and restart (fault tests), and by benchmarks.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServerOptions {
  /** A fixed port; a free one is picked when omitted. */
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '64mb']`. */
  args?: string[];
  /** How long to wait for the server to answer PING (default 10 s). */
  startTimeoutMs?: number;
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The server's working directory (removed by `stop`). */
  readonly dir: string;
  /** Stops the server gracefully and removes its directory. The handle is finished afterwards. */
  stop(): Promise<void>;
  /** SIGKILL: the server vanishes without a goodbye, as in a crash. `restart()` brings it back. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (killing it first if it still runs). Data is not kept. */
  restart(): Promise<void>;
}

const binary = process.env.HERALD_REDIS_SERVER ?? 'redis-server';

function isInstalled(): boolean {
  const result = spawnSync(binary, ['--version'], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

/** Makes sure `redis-server` can be run; installs it with apt-get when running as root, otherwise says what to do. */
export function ensureRedisServerInstalled(): void {
  if (isInstalled()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (isRoot && hasApt) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = (): number | null =>
      spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { stdio: 'inherit', env })
        .status;
    // The package lists are refreshed only when the first attempt cannot find the package.
    if (install() !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
      install();
    }
    if (isInstalled()) return;
  }
  throw new Error(
    'redis-server was not found on PATH: install Redis 6.2 or newer (e.g. `apt-get install redis-server` or `brew install redis`) or set HERALD_REDIS_SERVER to its path, then run the tests again.',
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

interface Running {
  child: ChildProcess;
  output: string[];
}

function spawnServer(port: number, dir: string, args: string[]): Running {
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--logfile',
      '',
      '--daemonize',
      'no',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  // Kept (bounded) so a failed start can say why.
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString('utf8'));
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('error', (error) => output.push(String(error)));
  return { child, output };
}

async function waitUntilReady(running: Running, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  while (Date.now() < deadline) {
    if (running.child.exitCode !== null || running.child.signalCode !== null) break;
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 200);
  }
  running.child.kill('SIGKILL');
  await waitForExit(running.child);
  throw new Error(`redis-server did not start on port ${port}: ${running.output.join('').trim().slice(-2_000)}`);
}

/** Starts a redis-server and resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  ensureRedisServerInstalled();
  const args = options.args ?? [];
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'herald-redis-'));
  let port = options.port ?? 0;
  let running: Running | undefined;
  // A picked port can be taken between probing and binding; try a few.
  for (let attempt = 0; running === undefined; attempt++) {
    const candidate = port === 0 ? await freePort() : port;
    const started = spawnServer(candidate, dir, args);
    try {
      await waitUntilReady(started, candidate, startTimeoutMs);
      running = started;
      port = candidate;
    } catch (error) {
      if (options.port !== undefined || attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  let current: Running = running;
  const kill = async (): Promise<void> => {
    current.child.kill('SIGKILL');
    await waitForExit(current.child);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    kill,
    async restart(): Promise<void> {
      await kill();
      mkdirSync(dir, { recursive: true });
      const started = spawnServer(port, dir, args);
      await waitUntilReady(started, port, startTimeoutMs);
      current = started;
    },
    async stop(): Promise<void> {
      const child = current.child;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await waitForExit(child);
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
