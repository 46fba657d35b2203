// Bundles a CLI for a V8 startup snapshot (SEA `useSnapshot`): the snapshot holds the module graph
// already evaluated, so a start only deserializes it and runs main. git and docker spawn the
// helper for every operation, so this is where start-up time is won.
//
// Node 20 restrictions this works around:
//  - The snapshot script may only `require` built-in modules, so everything is bundled.
//  - Some built-ins cannot be loaded while the snapshot is built (node:http throws, child_process,
//    readline, tty and worker_threads are "not verified"). Those are replaced by stand-ins whose
//    properties load the real module on first use, at run time. Using one during the build is a
//    build error, never a silently wrong snapshot.
//  - main.ts runs the program as it loads. The entry evaluates everything main.ts imports while
//    the snapshot is built, and defers main.ts itself to the deserialize-main function.
import { build } from 'esbuild';
import { builtinModules, createRequire } from 'node:module';
import { relative } from 'node:path';

const require = createRequire(import.meta.url);

/** Built-ins that load cleanly inside Node 20's snapshot builder (checked one by one). */
const SNAPSHOT_SAFE = new Set([
  'assert', 'buffer', 'crypto', 'dns', 'events', 'fs', 'fs/promises', 'net', 'os', 'path',
  'path/posix', 'process', 'stream', 'stream/promises', 'string_decoder', 'timers',
  'timers/promises', 'url', 'util', 'util/types', 'v8', 'zlib',
]);

/** Every built-in that is not snapshot-safe becomes a stand-in. */
const deferredBuiltins = {
  name: 'deferred-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (args) => {
      // The stand-in's own require is the real module.
      if (args.namespace === 'deferred-builtin') return { path: args.path, external: true };
      const name = args.path.replace(/^node:/, '');
      if (!builtinModules.includes(name) || SNAPSHOT_SAFE.has(name)) return undefined;
      return { path: name, namespace: 'deferred-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'deferred-builtin' }, (args) => ({
      contents: standIn(args.path),
      loader: 'js',
    }));
  },
};

/**
 * A CommonJS module with one getter per export of the real built-in (names taken from this
 * build's Node, which is the one inside the executable). esbuild's interop copies getters
 * without calling them, so nothing loads until the program really uses the module.
 */
function standIn(name) {
  const keys = Object.keys(require(`node:${name}`)).filter((key) => key !== 'default');
  return `'use strict';
const { startupSnapshot } = require('node:v8');
let real;
function load(key) {
  if (startupSnapshot.isBuildingSnapshot()) {
    throw new Error('node:${name}.' + key + ' was used while building the startup snapshot; use it at run time only');
  }
  return (real ??= require('node:${name}'));
}
for (const key of ${JSON.stringify(keys)}) {
  Object.defineProperty(exports, key, { enumerable: true, get: () => load(key)[key] });
}
Object.defineProperty(exports, 'default', { enumerable: false, get: () => load('default') });
`;
}

/**
 * Writes `outFile`: a snapshot entry for the program whose process adapter is `mainFile`.
 * @param {{ mainFile: string, outFile: string, define: Record<string, string>, absWorkingDir: string }} options
 */
export async function bundleForSnapshot({ mainFile, outFile, define, absWorkingDir }) {
  // First pass: which modules does main.ts import? Those are evaluated into the snapshot.
  const probe = await build({
    entryPoints: [mainFile],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
    outfile: 'probe.cjs',
    absWorkingDir,
    plugins: [deferredBuiltins],
  });
  const mainKey = relative(absWorkingDir, mainFile);
  const imports = probe.metafile.inputs[mainKey]?.imports ?? [];
  const preload = imports
    .filter((entry) => !entry.external && !entry.path.startsWith('deferred-builtin:'))
    .map((entry) => `import ${JSON.stringify(`./${entry.path}`)};`);

  const entry = `import { startupSnapshot } from 'node:v8';
${preload.join('\n')}
startupSnapshot.setDeserializeMainFunction(() => {
  require(${JSON.stringify(`./${mainKey}`)});
});
`;
  await build({
    stdin: { contents: entry, resolveDir: absWorkingDir, sourcefile: 'snapshot-entry.js', loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    define,
    logLevel: 'warning',
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
    outfile: outFile,
    absWorkingDir,
    plugins: [deferredBuiltins],
  });
}
