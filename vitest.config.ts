import { defineConfig } from 'vitest/config';

// One runner for the whole repo, so `npm test` prints one summary line. The helper's end-to-end
// suite runs twice: against the bundle (project "helper") and the single executables.
export default defineConfig({
  test: {
    projects: ['packages/*', 'packages/helper/vitest.binaries.config.ts'],
  },
});
