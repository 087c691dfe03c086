import { defineConfig } from 'vitest/config';

// Three projects: `unit` is pure code (no database); `db` runs against a real
// PostgreSQL — embedded by default, TEST_DATABASE_URL for a server. `.ci/run`
// repeats the `db` project against Debian's PostgreSQL server. `e2e` drives
// the portal in a real browser.
export default defineConfig({
  test: {
    env: { TZ: 'UTC' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'db',
          include: ['test/db/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The portal in headless Chromium (playwright-core, /usr/bin/chromium)
        // against an in-process server on a cloned test database; builds
        // portal/dist first when it is older than portal/src.
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: [
            'test/e2e/ensure-chromium.ts',
            'test/support/global-setup.ts',
            'test/e2e/build-portal.ts',
          ],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
