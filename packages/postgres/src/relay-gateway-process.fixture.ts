// A gateway in a process of its own, for the restart test: PostgresStore + the Postgres relay + Herald. Settings
// come from the environment; it prints `ready` once it listens.
import { createServer } from 'node:http';
import { createHerald } from '@herald/core';
import { createWebSocketGateway, extractToken } from '@herald/websocket';
import pg from 'pg';
import { createPostgresRelay } from './postgres-relay';
import { PostgresStore } from './postgres-store';

const pool = new pg.Pool({ connectionString: process.env.GATEWAY_POSTGRES_URL, max: 4 });
const schema = process.env.GATEWAY_SCHEMA!;
const server = createServer();
const gateway = createWebSocketGateway({
  server,
  authenticate: async (request) => {
    const token = extractToken(request);
    return token?.startsWith('user:') ? { userId: token.slice(5) } : null;
  },
  relay: createPostgresRelay({ db: pool, schema }),
});
createHerald({ store: new PostgresStore({ db: pool, schema }), channels: [gateway.channel] });
server.listen(Number(process.env.GATEWAY_PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
