// Runs the local WhatsApp Cloud API peer in its own thread, so the benchmark measures Herald and fetch, not the peer.
// Plain JavaScript: a worker does not inherit tsx's loader, so the TypeScript peer is loaded through tsx's API.
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { startGraphPeer } = await tsImport('@herald/test-peers/whatsapp', import.meta.url);
const peer = await startGraphPeer({ record: false });
parentPort?.on('message', (message) => {
  if (message === 'close') void peer.close().then(() => parentPort?.close());
});
parentPort?.postMessage({
  url: peer.url,
  phoneNumberId: peer.phoneNumberId,
  accessToken: peer.accessToken,
  apiVersion: peer.apiVersion,
});
