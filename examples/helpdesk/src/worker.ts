// The BullMQ worker process (started by main.ts when REDIS_URL is set): the same Herald wiring in the worker
// role, delivering email, WhatsApp and realtime items that the web process enqueued.

import { createHeraldWiring } from './herald';
import { providersFromEnvironment } from './providers';

const providers = providersFromEnvironment();
if (providers === undefined || !process.env.REDIS_URL) {
  console.error('The worker needs REDIS_URL, SMTP_HOST and WHATSAPP_GRAPH_URL (main.ts passes them).');
  process.exit(1);
}
const wiring = createHeraldWiring({ role: 'worker', providers, redisUrl: process.env.REDIS_URL });
console.log(`Helpdesk worker ${process.pid} delivering from ${process.env.REDIS_URL}`);

const stop = async (): Promise<void> => {
  await wiring.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// The web process went away: stop with it.
process.on('disconnect', () => void stop());
