// Workflow benchmarks (notifications that unfold over time): starts its own redis-server, runs each part against
// it, prints the figures. Run from bench/: `npm run workflows` (builds the packages, then runs tsx workflows/main.ts
// against them, with --expose-gc for the heap figures); `npm run workflows -- digests` runs one part.
import { startRedisServer } from '@herald/test-peers/redis';
import { printDigestBenchmark, runDigestBenchmark } from './digests';
import { printEscalationBenchmark, runPendingMemoryBenchmark, runWithdrawalBenchmark } from './escalations';

/** One benchmark part: runs against a Redis URL and prints its own figures. */
type Part = { name: string; run: (url: string) => Promise<void> };

const parts: Part[] = [
  { name: 'digests', run: async (url) => printDigestBenchmark(await runDigestBenchmark(url)) },
  {
    name: 'escalations',
    run: async (url) => {
      // Memory first, while nothing of the timed rounds is around to be collected in the middle of it.
      const memory = await runPendingMemoryBenchmark(url);
      printEscalationBenchmark(await runWithdrawalBenchmark(url), memory);
    },
  },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const server = await startRedisServer();
  try {
    console.log(`redis-server ${server.url}, node ${process.version}`);
    for (const part of parts) {
      if (only.length > 0 && !only.includes(part.name)) continue;
      await part.run(server.url);
    }
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
