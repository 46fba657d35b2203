#!/usr/bin/env node
// `npm run build:binaries`: single executables that run without Node.js installed.
//   dist/bin/dodil-server            the server (better-sqlite3's addon travels inside, see
//                                    packages/server/src/sea/native-addon.ts)
//   dist/bin/dodil                   the CLI and credential helper
//   dist/bin/git-credential-dodil    symlink to dodil
//   dist/bin/docker-credential-dodil symlink to dodil
//
// Node 20's own single executable applications, no pkg: pkg downloads prebuilt Node binaries at
// build time (impossible air-gapped) and its --sea mode needs Node 22. Here: esbuild bundle →
// `node --experimental-sea-config` → copy of this `node` → postject. Same OS/arch as the builder.
//
// Its inputs are the bundles `npm run build` made (turbo's `build` task, which `npm run
// build:binaries` runs first); this script never bundles a program itself.
// Incremental: the inputs' digest is kept in dist/bin/.build-stamp.json; unchanged inputs skip
// the slow part (copy + inject, ~3 s a binary). Flags: --force, --no-strip, --only <name>.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveStrip, makeSea } from './sea/make-sea.mjs';
import { bundleForSea } from './sea/sea-bundle.mjs';

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

/** The server; better-sqlite3's addon rides along as an SEA asset. */
const serverTarget = {
  name: 'dodil-server',
  async bundle() {
    return built('packages/server/dist/sea/main.cjs');
  },
  assets: () => ({ [SQLITE_ADDON_ASSET]: sqliteAddonPath() }),
};

/**
 * The helper: the helper's bundle (packages/helper/build.mjs: a hot path without zod, and
 * dist/dodil-cli.cjs, the CLI, required on demand), passed through esbuild once more to fold the
 * two files into one script (the CLI part still initialised on first use) and to bundle its lazy
 * `import('node:https')`. With a code cache. A V8 startup snapshot (`useSnapshot`) was tried and
 * measured slower here (the hot path is already small; the snapshot's heap is not), and Node 20
 * refuses to start a snapshot under V8 flags it was not built with, so a user's
 * `NODE_OPTIONS=--max-old-space-size=…` would break every git and docker operation.
 */
const helperTarget = {
  name: 'dodil',
  async bundle() {
    const input = built('packages/helper/dist/dodil.cjs');
    const outFile = join(workRoot, 'dodil', 'main.cjs');
    await bundleForSea({ mainFile: input, outFile, absWorkingDir: root });
    return outFile;
  },
  assets: () => ({}),
};

/** The executables, each with how to make its CommonJS input and which assets go in. */
const targets = [serverTarget, helperTarget];

/** A bundle of the build task, by path from the root; missing → what to run. */
function built(path) {
  const file = join(root, path);
  if (!existsSync(file))
    throw new Error(`${path} is missing: run \`npm run build:binaries\` (it runs the build first)`);
  return file;
}

function sqliteAddonPath() {
  const path = join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  if (!existsSync(path)) throw new Error(`${path} is missing; run npm ci first`);
  return path;
}

/** Everything that changes a binary: its bundle, assets, the node that becomes it, these scripts. */
function digestOf(mainFile, assets) {
  const hash = createHash('sha256');
  const node = statSync(process.execPath);
  hash.update(
    JSON.stringify({
      node: process.version,
      execPath: process.execPath,
      size: node.size,
      mtime: node.mtimeMs,
      strip,
    }),
  );
  hash.update(readFileSync(mainFile));
  for (const [key, path] of Object.entries(assets)) hash.update(key).update(readFileSync(path));
  const scripts = ['build-info.mjs', 'bundle-checks.mjs', 'make-sea.mjs', 'sea-bundle.mjs'];
  for (const file of [fileURLToPath(import.meta.url), ...scripts.map((f) => join(root, 'scripts/sea', f))]) {
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
  const result = spawnSync(binary, ['--version'], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin' },
    timeout: 60_000,
  });
  if (result.status !== 0) {
    throw new Error(`${name} --version failed (${result.status ?? result.signal}): ${result.stderr}`);
  }
  return result.stdout.trim();
}

async function buildTarget(target, stamp) {
  const mainFile = await target.bundle();
  const assets = target.assets();
  const digest = digestOf(mainFile, assets);
  const published = join(outDir, target.name);
  if (!force && stamp[target.name] === digest && existsSync(published)) {
    log(`${target.name} is up to date`);
    return digest;
  }
  const workDir = join(workRoot, target.name);
  const fresh = join(workDir, target.name);
  makeSea({ main: mainFile, outFile: fresh, workDir, assets, strip });
  const version = smokeTest(fresh, target.name);
  // rename(2) within dist/: a process running the old binary keeps its inode; new runs see the new one.
  renameSync(fresh, published);
  log(
    `${target.name}: ${version}, ${(statSync(published).size / 1024 / 1024).toFixed(1)} MiB${strip ? ' (stripped)' : ''}`,
  );
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

// SEA assets and node:sea.getAsset arrived in Node 20.12; the package says >= 20.19 anyway.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  log(`Node ${process.versions.node} is too old to build single executables; use Node 20.19 or newer`);
  process.exit(1);
}
if (only !== undefined && !targets.some((target) => target.name === only)) {
  log(`--only takes one of: ${targets.map((target) => target.name).join(', ')}`);
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
try {
  const stamp = readStamp();
  for (const target of targets) {
    if (only !== undefined && target.name !== only) continue;
    stamp[target.name] = await buildTarget(target, stamp);
    writeFileSync(stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
  }
  if (only === undefined || only === 'dodil') linkHelpers();
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
