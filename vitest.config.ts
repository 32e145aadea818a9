import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // 2-core machines: keep parallelism modest so timing-free tests stay fast and deterministic.
    maxWorkers: 2,
  },
});
