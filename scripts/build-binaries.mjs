#!/usr/bin/env node
// `npm run build:binaries`: single executables that run without Node.js installed.
//   dist/bin/dodil-server            the server (better-sqlite3's addon travels inside, see
//                                    packages/server/src/sea/native-addon.ts)
//   dist/bin/dodil                   the CLI and credential helper (V8 startup snapshot)
//   dist/bin/git-credential-dodil    symlink to dodil
//   dist/bin/docker-credential-dodil symlink to dodil
//
// Node 20's own single executable applications, no pkg: pkg downloads prebuilt Node binaries at
// build time (impossible air-gapped) and its --sea mode needs Node 22. Here: esbuild bundle →
// `node --experimental-sea-config` → copy of this `node` → postject. Same OS/arch as the builder.
//
// Incremental: the inputs' digest is kept in dist/bin/.build-stamp.json; unchanged inputs skip
// the slow part (copy + inject, ~5 s a binary). Flags: --force, --no-strip, --only <name>.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfoDefine } from './sea/build-info.mjs';
import { withLock } from './sea/build-lock.mjs';
import { haveStrip, makeSea } from './sea/make-sea.mjs';
import { bundleForSnapshot } from './sea/snapshot-bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'bin');
const workRoot = join(root, 'dist', 'sea-build');
const stampFile = join(outDir, '.build-stamp.json');
/** Must match SQLITE_ADDON_ASSET in packages/server/src/sea/native-addon.ts. */
const SQLITE_ADDON_ASSET = 'better_sqlite3.node';
const HELPER_LINKS = ['git-credential-dodil', 'docker-credential-dodil'];

const args = process.argv.slice(2);
const force = args.includes('--force');
const strip = !args.includes('--no-strip') && haveStrip();
const onlyIndex = args.indexOf('--only');
const only = onlyIndex === -1 ? undefined : args[onlyIndex + 1];

const log = (line) => process.stderr.write(`build-binaries: ${line}\n`);

/** The executables: how to make each one's CommonJS input, and its SEA settings. */
const targets = [
  {
    name: 'dodil-server',
    async bundle() {
      // Rebuilt every time (esbuild, well under a second) so a binary is never older than its source.
      run(process.execPath, [join(root, 'packages/server/build.mjs'), '--sea-only'], 'bundle the server');
      return join(root, 'packages/server/dist/sea/main.cjs');
    },
    assets: () => ({ [SQLITE_ADDON_ASSET]: sqliteAddonPath() }),
    useSnapshot: false,
  },
  {
    name: 'dodil',
    async bundle() {
      const outFile = join(workRoot, 'dodil', 'snapshot-main.cjs');
      await bundleForSnapshot({
        mainFile: join(root, 'packages/helper/src/main.ts'),
        outFile,
        define: buildInfoDefine(),
        absWorkingDir: root,
      });
      return outFile;
    },
    assets: () => ({}),
    useSnapshot: true,
    // If the helper ever does something at load time that Node 20 cannot snapshot, the build
    // says so and falls back to a code cache (slower start, same behaviour).
    fallback: {
      async bundle() {
        const outFile = join(workRoot, 'dodil', 'main.cjs');
        await build({
          entryPoints: [join(root, 'packages/helper/src/main.ts')],
          bundle: true,
          platform: 'node',
          format: 'cjs',
          target: 'node20',
          define: buildInfoDefine(),
          logLevel: 'warning',
          legalComments: 'none',
          minifyWhitespace: true,
          minifySyntax: true,
          outfile: outFile,
        });
        return outFile;
      },
      useSnapshot: false,
    },
  },
];

function sqliteAddonPath() {
  const path = join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  if (!existsSync(path)) throw new Error(`${path} is missing; run npm ci first`);
  return path;
}

function run(command, commandArgs, what) {
  const result = spawnSync(command, commandArgs, { cwd: root, encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`${what} failed:\n${result.stderr ?? ''}${result.error?.message ?? ''}`);
  }
}

/** Everything that changes a binary: its bundle, assets, the node that becomes it, these scripts. */
function digestOf(target, mainFile, assets) {
  const hash = createHash('sha256');
  const node = statSync(process.execPath);
  hash.update(JSON.stringify({ node: process.version, execPath: process.execPath, size: node.size, mtime: node.mtimeMs, strip, snapshot: target.useSnapshot }));
  hash.update(readFileSync(mainFile));
  for (const [key, path] of Object.entries(assets)) hash.update(key).update(readFileSync(path));
  for (const file of [fileURLToPath(import.meta.url), ...readdirSync(join(root, 'scripts/sea')).map((f) => join(root, 'scripts/sea', f))]) {
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return {};
  }
}

/** `--version` must answer from the fresh binary before it replaces the published one. */
function smokeTest(binary, name) {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' }, timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`${name} --version failed (${result.status ?? result.signal}): ${result.stderr}`);
  }
  return result.stdout.trim();
}

async function buildTarget(target, stamp) {
  const mainFile = await target.bundle();
  const assets = target.assets();
  const digest = digestOf(target, mainFile, assets);
  const published = join(outDir, target.name);
  if (!force && stamp[target.name] === digest && existsSync(published)) {
    log(`${target.name} is up to date`);
    return digest;
  }
  const workDir = join(workRoot, target.name);
  const fresh = join(workDir, target.name);
  let version;
  try {
    makeSea({ main: mainFile, outFile: fresh, workDir, assets, useSnapshot: target.useSnapshot, strip });
    version = smokeTest(fresh, target.name);
  } catch (error) {
    if (target.fallback === undefined) throw error;
    log(`${target.name}: startup snapshot failed, building with a code cache instead:\n${error.message}`);
    const fallbackMain = await target.fallback.bundle();
    makeSea({ main: fallbackMain, outFile: fresh, workDir, assets, useSnapshot: false, strip });
    version = smokeTest(fresh, target.name);
  }
  // rename(2) within dist/: a process running the old binary keeps its inode; new runs see the new one.
  renameSync(fresh, published);
  log(`${target.name}: ${version}, ${(statSync(published).size / 1024 / 1024).toFixed(1)} MiB${strip ? ' (stripped)' : ''}`);
  return digest;
}

function linkHelpers() {
  for (const link of HELPER_LINKS) {
    const path = join(outDir, link);
    rmSync(path, { force: true });
    // Relative, so dist/bin can be copied or moved as a whole (cp -a keeps the links).
    symlinkSync('dodil', path);
  }
}

mkdirSync(outDir, { recursive: true });
await withLock(
  join(root, 'dist', '.build-binaries.lock'),
  async () => {
    const stamp = readStamp();
    for (const target of targets) {
      if (only !== undefined && target.name !== only) continue;
      stamp[target.name] = await buildTarget(target, stamp);
      writeFileSync(stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
    }
    if (only === undefined || only === 'dodil') linkHelpers();
  },
  { onWait: (pid) => log(`waiting for another build (pid ${pid})`) },
).catch((error) => {
  log(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
