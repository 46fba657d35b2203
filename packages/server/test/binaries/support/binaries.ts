import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** The executables `npm run build:binaries` writes, and the helper's program-name links. */
export const BINARIES = ['dodil-server', 'dodil'] as const;
export const HELPER_LINKS = ['git-credential-dodil', 'docker-credential-dodil'] as const;

/** Tools the tests themselves spawn from the sandbox; none of them is, or runs, node. */
const SYSTEM_TOOLS = ['sh', 'git'] as const;

/**
 * `dist/bin`, as `npm run build:binaries` made it (npm test runs it first). Tests never build the
 * executables themselves; a missing one fails with what to run.
 */
export function ensureBinaries(): string {
  const distBin = join(REPO_ROOT, 'dist', 'bin');
  for (const name of BINARIES) {
    if (!existsSync(join(distBin, name)))
      throw new Error(
        `${join(distBin, name)} is missing: run \`npm run build:binaries\` (npm test does) first`,
      );
  }
  return distBin;
}

/** A copy of the executables outside the checkout, and a PATH on which there is no node. */
export interface Install {
  readonly root: string;
  /** `<root>/bin`: the copied executables and links. */
  readonly binDir: string;
  /** PATH for the processes under test: `<root>/bin` and `<root>/tools` only. */
  readonly path: string;
  /** Absolute path of a tool in `<root>/tools` (sh, git). */
  tool(name: (typeof SYSTEM_TOOLS)[number]): string;
  remove(): void;
}

/**
 * Copies dist/bin into a fresh temp dir (so nothing can come from the checkout's node_modules)
 * and makes a tools dir of links to the few system programs needed. Here node lives in /usr/bin,
 * so /usr/bin itself can't be on the PATH; the check below proves node is unreachable.
 */
export function installOutsideCheckout(distBin: string): Install {
  const root = mkdtempSync(join(tmpdir(), 'dodil-binaries-'));
  const binDir = join(root, 'bin');
  const toolsDir = join(root, 'tools');
  mkdirSync(binDir);
  mkdirSync(toolsDir);
  for (const name of BINARIES) copyFileSync(join(distBin, name), join(binDir, name));
  for (const link of HELPER_LINKS) symlinkSync('dodil', join(binDir, link));
  for (const tool of SYSTEM_TOOLS) symlinkSync(which(tool), join(toolsDir, tool));
  const path = [binDir, toolsDir].join(delimiter);

  const probe = spawnSync(join(toolsDir, 'sh'), ['-c', 'command -v node || command -v nodejs'], {
    env: { PATH: path },
    encoding: 'utf8',
  });
  if (probe.status === 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(
      `node is reachable on the test PATH (${probe.stdout.trim()}); the test would prove nothing`,
    );
  }
  return {
    root,
    binDir,
    path,
    tool: (name) => join(toolsDir, name),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

function which(tool: string): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/local/bin']) {
    const candidate = join(dir, tool);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${tool} is not installed`);
}
