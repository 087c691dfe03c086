import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure code (no database); `db` runs against a real
// PostgreSQL — embedded by default, TEST_DATABASE_URL for a server. `.ci/run`
// repeats the `db` project against Debian's PostgreSQL server.
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
    ],
  },
});
