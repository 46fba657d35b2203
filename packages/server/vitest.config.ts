import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'server',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    restoreMocks: true,
    testTimeout: 30_000,
    // A PostgreSQL server for the engine tests: DODIL_TEST_PG_URL (CI) or one started for the run.
    globalSetup: ['test/support/pg-global-setup.ts'],
  },
});
