// Workflow benchmarks (notifications that unfold over time): starts its own redis-server, runs each part against
// it, prints the figures. Run from bench/: `npm run workflows` (builds the packages, then runs tsx workflows/main.ts
// against them, with --expose-gc for the heap figures); `npm run workflows -- digests` runs one part.
import { runRedisParts } from '../shared/redis-parts';
import { printDigestBenchmark, runDigestBenchmark } from './digests';
import { printEscalationBenchmark, runPendingMemoryBenchmark, runWithdrawalBenchmark } from './escalations';

runRedisParts([
  { name: 'digests', run: async (url) => printDigestBenchmark(await runDigestBenchmark(url)) },
  {
    name: 'escalations',
    run: async (url) => {
      // Memory first, while nothing of the timed rounds is around to be collected in the middle of it.
      const memory = await runPendingMemoryBenchmark(url);
      printEscalationBenchmark(await runWithdrawalBenchmark(url), memory);
    },
  },
]);
