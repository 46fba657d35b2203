// Bundles the `dodil` program into two CommonJS files in dist/:
//
// Start-up time is the design constraint: git starts the helper for every
// fetch/push, skopeo several times per command. So the program is split in two:
//
// - dodil.cjs, the hot part (src/main.ts: run.ts, the git and docker helpers,
//   the API client with hand-written answer checks): what every start parses;
// - dodil-cli.cjs, the cold part (the CLI commands and zod, the modules named
//   in COLD), a separate entry that dodil.cjs `require`s on the first
//   `await import()` of a cold module. Merely having zod's ~800 KB of code in
//   the started file costs ~10 ms of parsing on every start.
//
// One copy of each error class at run time: the modules in SHARED (those
// that define our error classes or brand symbols) live in dodil.cjs only,
// which exports them as `hotModules`; in dodil-cli.cjs an import of one reads
// that live module (`require('./dodil.cjs')`, node's cached main module), so
// `instanceof` holds across the two files. Other modules both parts use are
// plain functions and may exist in both: exporting whole modules from the
// hot part would defeat its tree shaking (config.ts's writer would bring
// node:crypto to every start). scripts/sea/sea-bundle.mjs folds
// both files into the single executable's one script, cold part still lazy.
//
// Inside the hot part, `@dodil/shared` resolves to its `./lite` export (the
// zod-free modules, packages/shared/src/lite.ts), so a hot import of a schema
// fails the build instead of slowing every git operation. The build also
// fails if zod or server code reaches the hot part, or server code reaches
// the cold part.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildInfo, buildInfoDefine } from '../../scripts/sea/build-info.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const COLD = ['src/commands/cli.ts', 'src/wire/zod.ts'].map((p) => resolve(here, p));
/** Hot modules the cold part uses as they are, never a copy: they define classes that cross the split. */
const SHARED = [
  'src/errors.ts',
  'src/http/transport.ts',
  'src/wire/lite.ts',
  'src/docker/protocol.ts',
  'src/io.ts',
].map((p) => resolve(here, p));

// The same version and commit stamp as the single executables (scripts/sea/build-info.mjs).
const { version, commit } = buildInfo();
const define = buildInfoDefine({ version, commit });
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  define,
  metafile: true,
  logLevel: 'warning',
};

function assertInputs(metafile, label, forbidden) {
  for (const input of Object.keys(metafile.inputs)) {
    for (const [pattern, why] of forbidden) {
      if (pattern.test(input)) throw new Error(`${label} bundle must not contain ${input}: ${why}`);
    }
  }
}

const SERVER_CODE = [/packages\/server\/|^\.\.\/server\//, 'server code stays out of the client'];
const COLD_FILE = 'dodil-cli.cjs';

/** Hot build: `@dodil/shared` → its lite export; a cold module → `require('./dodil-cli.cjs')`. */
const hotPlugin = {
  name: 'dodil-hot',
  setup(b) {
    // Found next to dodil.cjs at run time.
    b.onResolve({ filter: /^\.\/dodil-cli\.cjs$/ }, (args) => ({ path: args.path, external: true }));
    // The package's own zod-free entry: a hot import of a schema is a missing export.
    b.onResolve({ filter: /^@dodil\/shared$/ }, (args) =>
      b.resolve('@dodil/shared/lite', {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'dodil-hot',
      }),
    );
    b.onResolve({ filter: /^\./ }, async (args) => {
      if (args.pluginData === 'dodil-hot') return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'dodil-hot',
      });
      if (!COLD.includes(r.path)) return r;
      if (args.kind !== 'dynamic-import') {
        return {
          errors: [{ text: `${relative(here, r.path)} is cold code: import it with await import() only` }],
        };
      }
      return { path: 'cold', namespace: 'dodil-cold' };
    });
    // A plain relative require, so node finds the file next to dodil.cjs and esbuild can bundle it
    // again for the single executable.
    b.onLoad({ filter: /.*/, namespace: 'dodil-cold' }, () => ({
      contents: `module.exports = require('./${COLD_FILE}');`,
      loader: 'js',
    }));
  },
};

/** The hot part, exporting the SHARED modules as `hotModules` for the cold part. */
async function buildHot() {
  const keyed = SHARED;
  const entry = [
    ...keyed.map((p, i) => `import * as m${i} from ${JSON.stringify(p)};`),
    `export const hotModules = { ${keyed.map((p, i) => `${JSON.stringify(keyOf(p))}: m${i}`).join(', ')} };`,
    `import ${JSON.stringify(join(here, 'src/main.ts'))};`,
  ].join('\n');
  const result = await build({
    ...common,
    stdin: { contents: entry, resolveDir: here, loader: 'ts', sourcefile: 'dodil-hot-entry.ts' },
    outfile: join(here, 'dist/dodil.cjs'),
    write: false,
    banner: { js: '#!/usr/bin/env node' },
    plugins: [hotPlugin],
  });
  assertInputs(result.metafile, 'hot', [
    [/node_modules\/zod\//, 'zod costs ~15 ms of start-up on every git operation'],
    SERVER_CODE,
  ]);
  return result;
}

/** A module's key in `hotModules`: its path from the helper package. */
const keyOf = (absolute) => relative(here, absolute);

/** Absolute paths of a build's inputs (metafile paths are relative to the working directory). */
const inputsOf = (metafile) =>
  new Set(
    Object.keys(metafile.inputs)
      .filter((p) => !p.includes(':'))
      .map((p) => resolve(p)),
  );

// 1. The hot part.
const hot = await buildHot();

// 2. The cold part, each SHARED module replaced by the hot part's live copy.
const used = new Set();
const coldPlugin = {
  name: 'dodil-cold',
  setup(b) {
    // The hot part, the program's main module: node's module cache hands back its live exports.
    b.onResolve({ filter: /^\.\/dodil\.cjs$/ }, (args) => ({ path: args.path, external: true }));
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (
        args.pluginData === 'dodil-cold' ||
        args.kind === 'entry-point' ||
        args.namespace === 'dodil-hot-module'
      )
        return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'dodil-cold',
      });
      if (r.errors.length > 0 || r.external || !SHARED.includes(r.path)) return r;
      used.add(r.path);
      return { path: keyOf(r.path), namespace: 'dodil-hot-module' };
    });
    b.onLoad({ filter: /.*/, namespace: 'dodil-hot-module' }, (args) => ({
      contents: `module.exports = require('./dodil.cjs').hotModules[${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
  },
};
const coldEntry = COLD.map((p) => `export * from ${JSON.stringify(p)};`).join('\n');
const cold = await build({
  ...common,
  stdin: { contents: coldEntry, resolveDir: here, loader: 'ts', sourcefile: 'dodil-cold-entry.ts' },
  write: false,
  minify: true,
  outfile: join(here, 'dist', COLD_FILE),
  plugins: [coldPlugin],
});
assertInputs(cold.metafile, 'cold', [SERVER_CODE]);
for (const input of inputsOf(cold.metafile)) {
  if (SHARED.includes(input))
    throw new Error(`${keyOf(input)} is in both parts: it must exist once, in the hot part`);
}

// Written atomically, cold part first: tests and git may be running the previous bundle right now.
mkdirSync(join(here, 'dist'), { recursive: true });
function writeAtomically(file, contents) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents, { mode: 0o755 });
  chmodSync(tmp, 0o755);
  renameSync(tmp, file);
}
writeAtomically(join(here, 'dist', COLD_FILE), cold.outputFiles[0].contents);
writeAtomically(join(here, 'dist/dodil.cjs'), hot.outputFiles[0].contents);
const size = (n) => `${(n / 1024).toFixed(0)} KiB`;
const hotBytes = hot.outputFiles[0].contents.length;
const coldBytes = cold.outputFiles[0].contents.length;
writeFileSync(
  join(here, 'dist/build-info.json'),
  `${JSON.stringify({ version, commit, hotBytes, coldBytes, shared: used.size })}\n`,
);
console.log(
  `dist/dodil.cjs ${size(hotBytes)}, dist/${COLD_FILE} ${size(coldBytes)} (${used.size} modules shared), version ${version}, commit ${commit}`,
);
