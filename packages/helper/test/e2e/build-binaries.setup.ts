import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Builds (or reuses, when up to date) dist/bin for the helper-binaries project. */
export default function setup(): void {
  const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build-binaries.mjs')], { stdio: 'inherit', cwd: repoRoot });
}
