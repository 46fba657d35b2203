import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// The helper's end-to-end suite once more, against the single executables in dist/bin
// (built by the global setup when missing or stale).
export default defineProject({
  test: {
    name: 'helper-binaries',
    root: dirname(fileURLToPath(import.meta.url)),
    include: ['test/e2e/git.e2e.test.ts', 'test/e2e/registry.e2e.test.ts'],
    globalSetup: ['test/e2e/build-binaries.setup.ts'],
    env: { DODIL_BIN_DIR: join(repoRoot, 'dist', 'bin') },
    restoreMocks: true,
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
