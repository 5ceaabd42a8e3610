import { defineProject, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// Each case drives child processes and a redis-server through a fault and waits for recovery: minutes, not seconds.
export default mergeConfig(
  shared,
  defineProject({ test: { name: 'chaos', testTimeout: 120_000, hookTimeout: 120_000 } }),
);
