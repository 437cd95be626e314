import { defineConfig } from '@playwright/test';
import type { TestStore } from './test-support/harness.ts';
import { CHROMIUM_ARGS, chromiumPath } from './scripts/chromium.ts';

// Each test starts its own service + demo host (e2e/stack.ts), so tests share no state and run in parallel.
export default defineConfig<{ store: TestStore }>({
  testDir: 'e2e',
  fullyParallel: true,
  workers: 2,
  // One retry in CI, reported as "flaky" in the output: the hotel form-post test once left the modal open
  // after Close (1 run in ~8). Likely cause, fixed: the centred modal re-centred when the frame reported
  // its new height, moving Close under the click; the modal is now top-anchored. Drop this retry once
  // CI has shown no flaky run for a while. Locally: no retry, so a flake shows.
  retries: process.env.CI ? 1 : 0,
  forbidOnly: Boolean(process.env.CI),
  timeout: 45_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
    viewport: { width: 1280, height: 800 },
    locale: 'en-IN',
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'sqlite' },
    // The citizen's journeys once more with the service on PostgreSQL + Redis, as a national deployment runs.
    {
      name: 'distributed',
      use: { store: 'distributed' },
      testMatch: ['share.spec.ts', 'consent.spec.ts', 'name-correction.spec.ts', 'verification-link.spec.ts', 'me.spec.ts'],
    },
  ],
});
