// The worker process (with REDIS_URL): takes deliveries off BullMQ and sends them — push through firebase-admin
// to the web process's local FCM stand-in, in-app items to the sockets through Redis.
import { connectToFcmPeer } from '@herald/test-peers/fcm';
import { createSocialHerald } from './herald';

const fcm = connectToFcmPeer(JSON.parse(process.env.FCM_PEER ?? '{}'));
const wiring = createSocialHerald({
  role: 'worker',
  redisUrl: process.env.REDIS_URL,
  messaging: fcm.createMessaging(),
  onPushBatch: (batch) => console.log(`push batch: ${batch.recipients} recipients, ${batch.messages} devices`),
});
console.log('Ooumph worker: delivering from BullMQ');

const stop = async (): Promise<void> => {
  await wiring.close();
  await fcm.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
