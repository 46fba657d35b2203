import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'helper',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    restoreMocks: true,
    testTimeout: 30_000,
  },
});
