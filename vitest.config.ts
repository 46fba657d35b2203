import { defineConfig } from 'vitest/config';

// One runner for the whole repo, so `npm test` prints one summary line.
export default defineConfig({
  test: {
    projects: ['packages/*'],
  },
});
