// Runs the local FCM peer in its own thread, so the benchmark measures firebase-admin and Herald, not the peer.
// Plain JavaScript: a worker does not inherit tsx's loader, so the TypeScript peer is loaded through tsx's API.
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { createFcmPeer } = await tsImport('@herald/test-peers/fcm', import.meta.url);
const peer = await createFcmPeer({ projectId: 'herald-bench' });
parentPort?.on('message', (message) => {
  // Forget what was received between rounds so the peer's memory stays flat.
  if (message === 'reset') peer.reset();
  if (message === 'close') void peer.close().then(() => parentPort?.close());
});
parentPort?.postMessage({ projectId: peer.projectId, port: peer.port, ca: peer.ca });
