import { defineProject, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: 'react',
      include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
      typecheck: { enabled: true, include: ['src/**/*.test-d.ts', 'src/**/*.test-d.tsx'], tsconfig: './tsconfig.json' },
    },
  }),
);
