// `npm start`: the helpdesk on embedded defaults (MemoryStore, in-process runner, local provider stand-ins).
// With REDIS_URL: RedisStore + BullMQ, and a worker process (worker.ts) started beside it, delivering.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { providersToEnvironment } from './providers';
import { startHelpdesk } from './server';

const redisUrl = process.env.REDIS_URL || undefined;
const helpdesk = await startHelpdesk({ port: Number(process.env.PORT ?? 3000), redisUrl });

const worker =
  redisUrl === undefined
    ? undefined
    : fork(fileURLToPath(new URL('./worker.ts', import.meta.url)), {
        env: { ...process.env, ...providersToEnvironment(helpdesk.providers.settings) },
        execArgv: process.execArgv,
        stdio: 'inherit',
      });

console.log(
  `Helpdesk running at ${helpdesk.url} (${redisUrl === undefined ? 'MemoryStore, in-process runner' : `RedisStore + BullMQ on ${redisUrl}, worker pid ${worker?.pid}`}); what was sent: ${helpdesk.url}/dev`,
);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  worker?.kill('SIGTERM');
  await helpdesk.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
