// The worker process (with REDIS_URL): takes deliveries off BullMQ and sends them; in-app items reach the web
// process's sockets through Redis. `npm start` starts it, with SMTP_HOST/SMTP_PORT naming its SMTP sink.
import { createTasksHerald } from './herald';

const wiring = createTasksHerald({
  role: 'worker',
  redisUrl: process.env.REDIS_URL,
  smtp: { host: process.env.SMTP_HOST ?? '127.0.0.1', port: Number(process.env.SMTP_PORT ?? 25) },
});
console.log('Field tasks worker: delivering from BullMQ');

const stop = async (): Promise<void> => {
  await wiring.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
