// Starts a throwaway PostgreSQL server (Debian's `postgresql` package: initdb, pg_ctl, postgres) on a free loopback
// port, with its data directory in a temporary folder that `stop()` removes. Used by the test global setup, by tests
// that kill and restart the server, and by benchmarks. initdb refuses to run as root, so a root process runs the
// server as the `postgres` system user (created when missing).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, tryAptGetInstall } from './server-process';

export interface PostgresServerOptions {
  /** A fixed port; a free one is picked when omitted. */
  port?: number;
  /**
   * Server settings (`-c name=value`). The defaults trade durability for speed, as a throwaway server may:
   * `fsync=off`, `synchronous_commit=off`, `full_page_writes=off`; pass `{ fsync: 'on', … }` to measure a durable one.
   */
  settings?: Record<string, string | number>;
  /** How long to wait for the server to accept connections (default 30 s). */
  startTimeoutMs?: number;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication on loopback). */
  readonly url: string;
  readonly port: number;
  /** The data directory (removed by `stop`). */
  readonly dir: string;
  /** Creates a database (owned by `postgres`) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes its directory. The handle is finished afterwards. */
  stop(): Promise<void>;
  /** SIGKILL to the postmaster: every connection drops as in a crash. `restart()` brings it back with its data. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data directory (killing it first if it still runs). */
  restart(): Promise<void>;
}

const SYSTEM_USER = 'postgres';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The newest installed PostgreSQL's bin directory (Debian keeps one per major version), or HERALD_POSTGRES_BIN. */
function findBinDir(): string | undefined {
  const given = process.env.HERALD_POSTGRES_BIN;
  if (given) return existsSync(join(given, 'initdb')) ? given : undefined;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((entry) => /^\d+$/.test(entry) && existsSync(join(root, entry, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(root, versions[0], 'bin');
  }
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const initdb = onPath.status === 0 ? onPath.stdout.trim() : '';
  return initdb ? join(initdb, '..') : undefined;
}

/** Makes sure initdb and postgres can be run; installs Debian's `postgresql` when root, otherwise says what to do. */
export function ensurePostgresInstalled(): string {
  let bin = findBinDir();
  if (bin) return bin;
  if (tryAptGetInstall('postgresql')) {
    bin = findBinDir();
    if (bin) return bin;
  }
  throw new Error(
    'PostgreSQL was not found (no initdb under /usr/lib/postgresql/*/bin or on PATH): install it (e.g. `apt-get install postgresql`) or set HERALD_POSTGRES_BIN to its bin directory, then run the tests again.',
  );
}

/** Root runs the server as the `postgres` system user, creating it when the package did not. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (!isRoot) return undefined;
  const lookup = (): { uid: number; gid: number } | undefined => {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`${SYSTEM_USER}:`));
    if (!line) return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  };
  const found = lookup();
  if (found) return found;
  spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/bin/sh', SYSTEM_USER], {
    stdio: 'inherit',
  });
  const created = lookup();
  if (!created) throw new Error(`Could not create the ${SYSTEM_USER} system user to run PostgreSQL as (not as root)`);
  return created;
}

/** Whether the port accepts a TCP connection and answers an SSLRequest as a PostgreSQL server does ('S' or 'N'). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk) => done(chunk[0] === 0x4e || chunk[0] === 0x53));
    socket.once('connect', () => socket.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])));
  });
}

const defaultSettings: Record<string, string | number> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: 200,
  shared_buffers: '128MB',
  log_min_messages: 'fatal',
};

export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = ensurePostgresInstalled();
  const user = serverUser();
  const root = mkdtempSync(join(tmpdir(), 'herald-postgres-'));
  const dir = join(root, 'data');
  if (user) {
    chownSync(root, user.uid, user.gid);
    chmodSync(root, 0o700);
  }
  const asServerUser = user ? { uid: user.uid, gid: user.gid } : {};
  const initdb = spawnSync(
    join(bin, 'initdb'),
    ['-D', dir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
    { encoding: 'utf8', ...asServerUser, env: { ...process.env, LC_ALL: 'C' } },
  );
  if (initdb.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed: ${`${initdb.stderr ?? ''}${initdb.stdout ?? ''}`.trim().slice(-2_000)}`);
  }
  const settings = { ...defaultSettings, ...options.settings };
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;

  const server = await startServerProcess({
    name: 'postgres',
    port: options.port,
    dir: root,
    spawn: (port) => {
      const args = ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', root];
      for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
      // The postmaster itself, not pg_ctl: it dies with a SIGKILL like a crashed server, and its exit is ours to see.
      return spawn(join(bin, 'postgres'), args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...asServerUser,
        env: { ...process.env, LC_ALL: 'C' },
      });
    },
    // Accepting TCP before recovery ends is possible: ask until a real connection check passes too.
    isReady: async (port) =>
      (await answers(port)) &&
      spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres']).status === 0,
    firstDelayMs: 20,
    startTimeoutMs,
    // SIGINT is PostgreSQL's fast shutdown: open sessions are ended, nothing waits for clients.
    stopSignal: 'SIGINT',
    stopTimeoutMs: 10_000,
  });
  const { port } = server;
  const url = (database: string): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    url: url('postgres'),
    port,
    dir,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Not a plain database name: ${name}`);
      const result = spawnSync(
        join(bin, 'psql'),
        ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', `CREATE DATABASE ${name}`],
        { encoding: 'utf8' },
      );
      if (result.status !== 0) throw new Error(`CREATE DATABASE ${name} failed: ${result.stderr}`);
      return url(name);
    },
    kill: server.kill,
    async restart(): Promise<void> {
      await server.kill();
      const deadline = Date.now() + startTimeoutMs;
      for (;;) {
        try {
          await server.respawn();
          return;
        } catch (error) {
          // The old postmaster's lock may linger a moment after its backends died.
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    },
    stop: server.stop,
  };
}
