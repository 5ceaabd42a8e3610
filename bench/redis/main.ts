// Redis benchmarks: starts its own redis-server, runs each part against it, prints the figures.
// Run from bench/: `npm run redis` (builds the packages, then runs tsx redis/main.ts against them).
import { runRedisParts } from '../shared/redis-parts';
import { run as runEndToEnd } from './e2e';
import { printStoreBenchmarks, runStoreBenchmarks } from './store';

runRedisParts([
  {
    name: 'store',
    run: async (url) => printStoreBenchmarks(await runStoreBenchmarks(url)),
  },
  { name: 'e2e', run: runEndToEnd },
]);
