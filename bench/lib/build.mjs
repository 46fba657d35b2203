// Bundles what the bench runs from the current source tree, into bench/.cache/build:
//   server.cjs    the `dodil-server` entry with the release options (packages/server/bundle-options.mjs),
//                 so the bench always measures the tree as it is, without touching packages/*/dist
//                 under other people's tests;
//   generate.cjs  the store generator (bench/lib/generate-store.ts).
//
// Variants (`--variant NAME`, attribution experiments only, never shipped): the same bundle with
// bench-only build-time constants turned on (packages/server/src/build/bench-variants.ts), to
// measure what a mechanism costs. A variant whose bundle equals the plain one fails the build, so
// an experiment can't silently measure nothing.
import { build } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_VARIANTS, benchDefines, serverBundleOptions } from '../../packages/server/bundle-options.mjs';

/** The version stamp of bench bundles. */
const buildDefine = { __DODIL_VERSION__: '"0.0.0-bench"', __DODIL_COMMIT__: '"bench"' };

/**
 * Undo variants put one optimisation of docs/performance.md back the way it was, so a single bench
 * run measures what it bought: `npm run bench -- --compare undo-token-cache,undo-all`.
 */
const UNDO = BENCH_VARIANTS.filter((name) => name.startsWith('undo-'));

/** The variants of `a+b+…` (`undo-all`: every undo variant). */
function variantsOf(name) {
  const names = name === 'undo-all' ? UNDO : name.split('+');
  for (const n of names) {
    if (!BENCH_VARIANTS.includes(n))
      throw new Error(`unknown variant ${n}; known: undo-all, ${BENCH_VARIANTS.join(', ')}`);
  }
  return names;
}

async function buildServer(repo, outfile, variants) {
  await build({
    ...serverBundleOptions({ kind: 'node', outfile, buildDefine, variants }),
    sourcemap: false,
    logLevel: 'error',
    absWorkingDir: repo,
  });
  return outfile;
}

/** Builds the server bundle of a variant; returns its path. */
export async function buildVariant(repo, cacheDir, variant) {
  const dir = join(cacheDir, 'build');
  mkdirSync(dir, { recursive: true });
  const [plain, outfile] = await Promise.all([
    buildServer(repo, join(dir, 'server-plain.cjs'), []),
    buildServer(repo, join(dir, `server-${variant}.cjs`), variantsOf(variant)),
  ]);
  if (readFileSync(plain, 'utf8') === readFileSync(outfile, 'utf8')) {
    throw new Error(
      `variant ${variant} builds the same bundle as the plain server: its switch is no longer used in packages/server/src`,
    );
  }
  return outfile;
}

/** Builds both bundles (the server as `variant` when given); returns their paths. */
export async function buildBench(repo, cacheDir, variant) {
  const out = join(cacheDir, 'build');
  mkdirSync(out, { recursive: true });
  const generate = join(out, 'generate.cjs');
  const [server] = await Promise.all([
    variant ? buildVariant(repo, cacheDir, variant) : buildServer(repo, join(out, 'server.cjs'), []),
    build({
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['better-sqlite3'],
      logLevel: 'error',
      legalComments: 'none',
      absWorkingDir: repo,
      entryPoints: [join(repo, 'bench/lib/generate-store.ts')],
      define: benchDefines(),
      outfile: generate,
    }),
  ]);
  return { server, generate };
}
