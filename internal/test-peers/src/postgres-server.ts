// Starts a throwaway PostgreSQL server (Debian's `postgresql` package: initdb, pg_ctl, postgres) on a free loopback
// port, with its data directory in a temporary folder that `stop()` removes. Used by the test global setup, by tests
// that kill and restart the server, and by benchmarks. initdb refuses to run as root, so a root process runs the
// server as the `postgres` system user (created when missing).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (isRoot && hasApt) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = (): number | null =>
      spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { stdio: 'inherit', env })
        .status;
    // The package lists are refreshed only when the first attempt cannot find the package.
    if (install() !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
      install();
    }
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

function freePort(): Promise<number> {
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

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

interface Running {
  child: ChildProcess;
  output: string[];
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

  const spawnServer = (port: number): Running => {
    const args = ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', root];
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
    // The postmaster itself, not pg_ctl: it dies with a SIGKILL like a crashed server, and its exit is ours to see.
    const child = spawn(join(bin, 'postgres'), args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...asServerUser,
      env: { ...process.env, LC_ALL: 'C' },
    });
    const output: string[] = [];
    const keep = (chunk: Buffer): void => {
      output.push(chunk.toString('utf8'));
      if (output.length > 50) output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', (error) => output.push(String(error)));
    return { child, output };
  };

  const waitUntilReady = async (running: Running, port: number): Promise<void> => {
    const deadline = Date.now() + startTimeoutMs;
    let delay = 20;
    while (Date.now() < deadline) {
      if (running.child.exitCode !== null || running.child.signalCode !== null) break;
      if (await answers(port)) {
        // Accepting TCP before recovery ends is possible: ask until a real connection check passes.
        const ready = spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres']);
        if (ready.status === 0) return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 200);
    }
    running.child.kill('SIGKILL');
    await waitForExit(running.child);
    throw new Error(`postgres did not start on port ${port}: ${running.output.join('').trim().slice(-2_000)}`);
  };

  let port = options.port ?? 0;
  let running: Running | undefined;
  for (let attempt = 0; running === undefined; attempt++) {
    const candidate = port === 0 ? await freePort() : port;
    const started = spawnServer(candidate);
    try {
      await waitUntilReady(started, candidate);
      running = started;
      port = candidate;
    } catch (error) {
      if (options.port !== undefined || attempt >= 2) {
        rmSync(root, { recursive: true, force: true });
        throw error;
      }
    }
  }

  let current: Running = running;
  const kill = async (): Promise<void> => {
    current.child.kill('SIGKILL');
    await waitForExit(current.child);
  };
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
    kill,
    async restart(): Promise<void> {
      await kill();
      const deadline = Date.now() + startTimeoutMs;
      for (;;) {
        const started = spawnServer(port);
        try {
          await waitUntilReady(started, port);
          current = started;
          return;
        } catch (error) {
          // The old postmaster's lock may linger a moment after its backends died.
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    },
    async stop(): Promise<void> {
      const child = current.child;
      if (child.exitCode === null && child.signalCode === null) {
        // SIGINT is PostgreSQL's fast shutdown: open sessions are ended, nothing waits for clients.
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await waitForExit(child);
        clearTimeout(timer);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
