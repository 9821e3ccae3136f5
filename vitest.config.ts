import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    reporters: ['default', './test/browser/harness/engineSummary.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'happy-dom',
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/browser/harness/globalSetup.ts'],
          // Real Chromium, real service workers: files run one at a time so timing
          // under load stays representative, and each test gets a generous bound.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // A loaded machine delays a refresh by seconds; polls wait for outcomes, not speed.
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
})
