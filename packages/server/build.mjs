// Bundles the server into one CommonJS file per way of running it:
//   dist/main.cjs      `node dist/main.cjs` / bin/dodil-server.cjs; better-sqlite3 stays a normal
//                      dependency and finds its addon in node_modules.
//   dist/sea/main.cjs  input of the single executable (scripts/build-binaries.mjs): everything,
//                      better-sqlite3's JavaScript included, because a single executable can only
//                      `require` built-in modules; its addon arrives as `nativeBinding` instead.
// Workspace packages are bundled too: @dodil/shared is TypeScript source, not a built package.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfoDefine } from '../../scripts/sea/build-info.mjs';
import { assertSeaLoadable } from '../../scripts/sea/bundle-checks.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The single executable must never fall back to `bindings`' search of node_modules. */
const noBindingsLookup = {
  name: 'no-bindings-lookup',
  setup(b) {
    b.onResolve({ filter: /^bindings$/ }, () => ({ path: 'bindings', namespace: 'dodil-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'dodil-stub' }, () => ({
      contents:
        "module.exports = () => { throw new Error('better-sqlite3 needs its nativeBinding inside the single executable'); };",
      loader: 'js',
    }));
  },
};

/**
 * pg's optional native binding (`pg-native`, libpq) stays out of every bundle: pg only requires it
 * when `pg.native` is read, which we never do; the stub makes that a clear error instead.
 */
const noPgNative = {
  name: 'no-pg-native',
  setup(b) {
    b.onResolve({ filter: /^pg-native$/ }, () => ({ path: 'pg-native', namespace: 'dodil-stub-pg' }));
    b.onLoad({ filter: /.*/, namespace: 'dodil-stub-pg' }, () => ({
      contents: "throw new Error('pg-native is not bundled; dodil uses the pure JavaScript pg driver');",
      loader: 'js',
    }));
  },
};

const common = {
  entryPoints: [join(here, 'src/main.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  define: buildInfoDefine(),
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [noPgNative],
};

// --sea-only: scripts/build-binaries.mjs refreshes its own input without rewriting dist/main.cjs
// under tests that may be running it.
const seaOnly = process.argv.includes('--sea-only');
const [, sea] = await Promise.all([
  seaOnly
    ? undefined
    : build({
        ...common,
        outfile: join(here, 'dist/main.cjs'),
        external: ['better-sqlite3'],
        sourcemap: 'linked',
      }),
  build({
    ...common,
    outfile: join(here, 'dist/sea/main.cjs'),
    plugins: [noPgNative, noBindingsLookup],
    // No source map: the executable could not read it; names are kept for readable stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
  }),
]);
assertSeaLoadable(sea.metafile, 'packages/server/dist/sea/main.cjs');
