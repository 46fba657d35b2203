// How the server is bundled, defined once. packages/server/build.mjs makes the release bundles
// with it, bench/lib/build.mjs the bench's (with variants); tests run what build.mjs made.
//   node: dist/main.cjs, run by `node` / bin/dodil-server.cjs; better-sqlite3 stays a normal
//         dependency and finds its addon in node_modules.
//   sea:  dist/sea/main.cjs, input of the single executable (scripts/build-binaries.mjs):
//         everything, better-sqlite3's JavaScript included, because a single executable can only
//         `require` built-in modules; its addon arrives as `nativeBinding` instead.
// Workspace packages are bundled too: @dodil/shared is TypeScript source, not a built package.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The bench variants (src/build/bench-variants.ts), each an esbuild `define` of its own. Release
 * bundles define all of them `false`; only bench/lib/build.mjs turns one on.
 */
export const BENCH_VARIANTS = Object.freeze([
  'undo-body-limit',
  'undo-gcm-key',
  'undo-token-cache',
  'no-fsync',
  'no-audit',
  'mmap',
  'cache16m',
  'ghash-w2',
  'no-autocheckpoint',
  'no-access-log',
]);

/** `no-fsync` → `__DODIL_BENCH_NO_FSYNC__`. */
export const benchDefineName = (variant) => `__DODIL_BENCH_${variant.toUpperCase().replaceAll('-', '_')}__`;

/**
 * A `define` for every bench variant: `true` for those in `variants`, `false` for the rest, so no
 * `__DODIL_BENCH_*__` is ever left for the runtime to look up.
 * @param {readonly string[]} variants
 */
export function benchDefines(variants = []) {
  for (const v of variants) {
    if (!BENCH_VARIANTS.includes(v))
      throw new Error(`unknown bench variant ${v}; known: ${BENCH_VARIANTS.join(', ')}`);
  }
  return Object.fromEntries(BENCH_VARIANTS.map((v) => [benchDefineName(v), String(variants.includes(v))]));
}

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

/**
 * esbuild escapes non-ASCII in code but keeps the comments it keeps as they are, and a single
 * `—` in one makes V8 hold the whole bundle source as a two-byte string: 3.7 MiB of heap for the
 * 1.9 MB node bundle, for the life of the process (the source stays for lazy compilation). The
 * output is rewritten with `\uXXXX` escapes (per UTF-16 unit; equivalent in strings, inert in
 * comments), so V8 keeps it one byte per character.
 */
const asciiOutput = {
  name: 'ascii-output',
  setup(b) {
    b.onEnd((result) => {
      const file = b.initialOptions.outfile;
      if (result.errors.length > 0 || b.initialOptions.write === false || !file) return;
      const text = readFileSync(file, 'utf8');
      // eslint-disable-next-line no-control-regex
      const nonAscii = /[^\x00-\x7f]/g;
      if (!nonAscii.test(text)) return;
      writeFileSync(
        file,
        text.replace(nonAscii, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
      );
    });
  },
};

/**
 * esbuild options for one server bundle.
 * @param {{ kind: 'node' | 'sea', outfile: string, buildDefine: Record<string, string>, variants?: readonly string[] }} options
 *   `buildDefine`: the version stamp (scripts/sea/build-info.mjs `buildInfoDefine`).
 * @returns {import('esbuild').BuildOptions}
 */
export function serverBundleOptions({ kind, outfile, buildDefine, variants = [] }) {
  const common = {
    entryPoints: [join(here, 'src/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    define: { ...buildDefine, ...benchDefines(variants) },
    logLevel: 'warning',
    legalComments: 'none',
    // Drops the branches of bench variants defined false. Identifiers stay, so stack traces
    // stay readable.
    minifySyntax: true,
  };
  if (kind === 'node')
    return {
      ...common,
      external: ['better-sqlite3'],
      sourcemap: 'linked',
      plugins: [noPgNative, asciiOutput],
    };
  // No source map: the executable could not read it.
  return {
    ...common,
    plugins: [noPgNative, noBindingsLookup, asciiOutput],
    minifyWhitespace: true,
    metafile: true,
  };
}
