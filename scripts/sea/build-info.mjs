// Version and commit stamped into bundles at build time (esbuild `define`), so `--version` of a
// bundle or a single executable says what it was built from without reading files at run time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * `{ version, commit }` of this checkout. `DODIL_BUILD_VERSION` / `DODIL_BUILD_COMMIT` override
 * them (release builds from a tarball have no .git); otherwise the version is the root
 * package.json's and the commit is git's short hash, with `-dirty` when tracked files differ.
 * @returns {{ version: string, commit: string }}
 */
export function buildInfo(env = process.env) {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const version = env.DODIL_BUILD_VERSION || String(pkg.version);
  const commit = env.DODIL_BUILD_COMMIT || gitCommit();
  return { version, commit };
}

function gitCommit() {
  const git = (args) =>
    execFileSync('git', args, {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const hash = git(['rev-parse', '--short=12', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
    return dirty ? `${hash}-dirty` : hash;
  } catch {
    return 'unknown';
  }
}

/**
 * esbuild `define` entries for `__DODIL_VERSION__` and `__DODIL_COMMIT__`. Source code declares
 * them as `declare const __DODIL_VERSION__: string | undefined` and guards with `typeof`, so
 * tsx/vitest runs (no define) fall back to a dev marker.
 * @param {{ version: string, commit: string }} info
 */
export function buildInfoDefine(info = buildInfo()) {
  return {
    __DODIL_VERSION__: JSON.stringify(info.version),
    __DODIL_COMMIT__: JSON.stringify(info.commit),
  };
}
