// Starts a throwaway redis-server on a free loopback port with its own temporary directory. Used by the
// test global setup, by tests that need a Redis they can kill and restart (fault tests), and by benchmarks.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, tryAptGetInstall } from './server-process';

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
  if (tryAptGetInstall('redis-server') && isInstalled()) return;
  throw new Error(
    'redis-server was not found on PATH: install Redis 6.2 or newer (e.g. `apt-get install redis-server` or `brew install redis`) or set HERALD_REDIS_SERVER to its path, then run the tests again.',
  );
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

function spawnServer(port: number, dir: string, args: string[]): ChildProcess {
  return spawn(
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
}

/** Starts a redis-server and resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  ensureRedisServerInstalled();
  const args = options.args ?? [];
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'herald-redis-'));
  const server = await startServerProcess({
    name: 'redis-server',
    port: options.port,
    dir,
    spawn: (port) => spawnServer(port, dir, args),
    isReady: ping,
    firstDelayMs: 10,
    startTimeoutMs,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 5_000,
  });
  return {
    url: `redis://127.0.0.1:${server.port}`,
    port: server.port,
    dir,
    kill: server.kill,
    async restart(): Promise<void> {
      await server.kill();
      mkdirSync(dir, { recursive: true });
      await server.respawn();
    },
    stop: server.stop,
  };
}
