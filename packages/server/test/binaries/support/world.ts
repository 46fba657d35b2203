import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { Install } from './binaries';
import { testKeyB64 } from '../../support/harness';

/** A fixed master key: the tests are about the executables, not about key generation. */
export const MASTER_KEY = testKeyB64(7);

/** One test's world: its own home, data dir and addon cache, removed when the test ends. */
export interface World {
  readonly dir: string;
  readonly home: string;
  readonly dataDir: string;
  readonly cacheDir: string;
  /** The complete environment for a process under test (nothing inherited from vitest). */
  env(extra?: Readonly<Record<string, string>>): Record<string, string>;
}

/** Makes a fresh {@link World}; call inside a test. */
export function newWorld(install: Install): World {
  const dir = mkdtempSync(join(tmpdir(), 'dodil-world-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  mkdirSync(home, { mode: 0o700 });
  const dataDir = join(dir, 'data');
  const cacheDir = join(dir, 'cache', 'dodil');
  return {
    dir,
    home,
    dataDir,
    cacheDir,
    env: (extra = {}) => ({
      PATH: install.path,
      HOME: home,
      LANG: 'C',
      DODIL_DATA_DIR: dataDir,
      DODIL_MASTER_KEY: MASTER_KEY,
      DODIL_CACHE_DIR: cacheDir,
      ...extra,
    }),
  };
}
