// What the throwaway servers (redis-server, PostgreSQL) have in common: installed with apt-get when missing, run as
// a child process on a loopback port with a temporary directory, waited for until they answer, killed as in a crash,
// started again, and stopped with their directory removed.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Installs Debian's `packageName` with apt-get when running as root where apt-get exists; returns whether it tried
 * (the caller checks what it needs and otherwise says what to do).
 */
export function tryAptGetInstall(packageName: string): boolean {
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): number | null =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', packageName], { stdio: 'inherit', env }).status;
  // The package lists are refreshed only when the first attempt cannot find the package.
  if (install() !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    install();
  }
  return true;
}

export interface ServerProcessSettings {
  /** The server's name in errors: "<name> did not start on port …". */
  name: string;
  /** A fixed port; a free one is picked (up to three times, as another process may take it first) when omitted. */
  port: number | undefined;
  /** The temporary directory removed by `stop` and by a failed start. */
  dir: string;
  /** Starts the server on `port`, its stdout and stderr piped. */
  spawn(port: number): ChildProcess;
  /** Whether the server on `port` is ready for clients. */
  isReady(port: number): Promise<boolean>;
  /** The first pause between readiness checks; each pause doubles, up to 200 ms. */
  firstDelayMs: number;
  startTimeoutMs: number;
  /** The graceful stop: the signal, and how long the server has before SIGKILL. */
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
}

export interface ServerProcess {
  readonly port: number;
  /** SIGKILL, as in a crash. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and waits until it is ready (once: the caller retries if it must). */
  respawn(): Promise<void>;
  /** Stops the server gracefully and removes its directory. */
  stop(): Promise<void>;
}

interface Running {
  child: ChildProcess;
  output: string[];
}

/** Starts the server and resolves once it is ready. */
export async function startServerProcess(settings: ServerProcessSettings): Promise<ServerProcess> {
  const spawnServer = (port: number): Running => {
    const child = settings.spawn(port);
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
  };

  const waitUntilReady = async (running: Running, port: number): Promise<void> => {
    const deadline = Date.now() + settings.startTimeoutMs;
    let delay = settings.firstDelayMs;
    while (Date.now() < deadline) {
      if (running.child.exitCode !== null || running.child.signalCode !== null) break;
      if (await settings.isReady(port)) return;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 200);
    }
    running.child.kill('SIGKILL');
    await waitForExit(running.child);
    throw new Error(`${settings.name} did not start on port ${port}: ${running.output.join('').trim().slice(-2_000)}`);
  };

  let port = settings.port ?? 0;
  let running: Running | undefined;
  for (let attempt = 0; running === undefined; attempt++) {
    const candidate = port === 0 ? await freePort() : port;
    const started = spawnServer(candidate);
    try {
      await waitUntilReady(started, candidate);
      running = started;
      port = candidate;
    } catch (error) {
      if (settings.port !== undefined || attempt >= 2) {
        rmSync(settings.dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  let current: Running = running;
  return {
    port,
    async kill(): Promise<void> {
      current.child.kill('SIGKILL');
      await waitForExit(current.child);
    },
    async respawn(): Promise<void> {
      const started = spawnServer(port);
      await waitUntilReady(started, port);
      current = started;
    },
    async stop(): Promise<void> {
      const child = current.child;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(settings.stopSignal);
        const timer = setTimeout(() => child.kill('SIGKILL'), settings.stopTimeoutMs);
        await waitForExit(child);
        clearTimeout(timer);
      }
      rmSync(settings.dir, { recursive: true, force: true });
    },
  };
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

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
