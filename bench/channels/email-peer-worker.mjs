// Runs the local SMTP peer (smtp-server) in its own thread, so the benchmark measures the senders, not the peer.
// Plain JavaScript: a worker does not inherit tsx's loader, so the TypeScript peer is loaded through tsx's API.
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { startSmtpPeer } = await tsImport('@herald/test-peers/smtp', import.meta.url);
const peer = await startSmtpPeer({ countOnly: true });
parentPort?.on('message', (message) => {
  if (message === 'close') void peer.close().then(() => parentPort?.close());
  if (message === 'count') parentPort?.postMessage({ accepted: peer.acceptedCount() });
});
parentPort?.postMessage({ host: peer.host, port: peer.port });
