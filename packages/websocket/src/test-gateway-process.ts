// A gateway in a process of its own, for tests that kill and restart it: RedisStore + Redis fan-out + Herald.
// Settings come from the environment; it prints `ready` once it listens.

import { createServer } from 'node:http';
import { createHerald } from '@herald/core';
import { RedisStore } from '@herald/storage/redis';
import { Redis } from 'ioredis';
import { authenticateTestToken } from './test-support';
import { createWebSocketGateway } from './websocket-gateway';

const port = Number(process.env.GATEWAY_PORT);
const redisUrl = process.env.GATEWAY_REDIS_URL ?? '';
const namespace = process.env.GATEWAY_NAMESPACE ?? 'test';

const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
const store = new RedisStore({ redis, namespace });
const server = createServer();
const gateway = createWebSocketGateway({ server, authenticate: authenticateTestToken, redis, namespace });
createHerald({ store, channels: [gateway.channel] });
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
