// Starts a throwaway Redis Cluster of a few masters on loopback ports (each node a redis-server from
// redis-server.ts, joined with `redis-cli --cluster create`), for tests of code that spreads keys over slots.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { type RedisServer, startRedisServer } from './redis-server';

export interface RedisCluster {
  /** Where the nodes listen, for `new Redis.Cluster(nodes)`. */
  readonly nodes: readonly { host: string; port: number }[];
  /** Stops every node and removes its directory. */
  stop(): Promise<void>;
}

const cli = process.env.HERALD_REDIS_CLI ?? 'redis-cli';

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port whose cluster bus port (port + 10000) is free as well. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error('No free port pair for a Redis Cluster node');
}

function clusterState(port: number): string {
  const result = spawnSync(cli, ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' });
  return /cluster_state:(\w+)/.exec(result.stdout ?? '')?.[1] ?? 'unknown';
}

/** Starts `masters` nodes (default 3), joins them into one cluster and resolves once every node reports it ok. */
export async function startRedisCluster(options: { masters?: number } = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const taken = new Set<number>();
  const servers: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    for (let index = 0; index < masters; index++) {
      const port = await clusterPort(taken);
      servers.push(
        await startRedisServer({
          port,
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'],
        }),
      );
    }
    const create = spawnSync(
      cli,
      [
        '--cluster',
        'create',
        ...servers.map((server) => `127.0.0.1:${server.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8' },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    const deadline = Date.now() + 20_000;
    while (!servers.every((server) => clusterState(server.port) === 'ok')) {
      if (Date.now() > deadline) throw new Error('The Redis Cluster did not reach cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: servers.map((server) => ({ host: '127.0.0.1', port: server.port })), stop };
}
