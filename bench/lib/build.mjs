// Bundles what the bench runs from the current source tree, into bench/.cache/build:
//   server.cjs    the `dodil-server` entry (packages/server/src/main.ts), as `npm run build`
//                 bundles it (CommonJS, better-sqlite3 external), so the bench always measures
//                 the tree as it is, without touching packages/*/dist under other people's tests;
//   generate.cjs  the store generator (bench/lib/generate-store.ts).
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Builds both bundles; returns their paths. */
export async function buildBench(repo, cacheDir) {
  const out = join(cacheDir, 'build');
  mkdirSync(out, { recursive: true });
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['better-sqlite3'],
    logLevel: 'error',
    legalComments: 'none',
    absWorkingDir: repo,
  };
  const server = join(out, 'server.cjs');
  const generate = join(out, 'generate.cjs');
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(repo, 'packages/server/src/main.ts')],
      outfile: server,
      define: { __DODIL_VERSION__: '"0.0.0-bench"', __DODIL_COMMIT__: '"bench"' },
    }),
    build({ ...common, entryPoints: [join(repo, 'bench/lib/generate-store.ts')], outfile: generate }),
  ]);
  return { server, generate };
}
