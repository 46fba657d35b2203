// Bundles what the bench runs from the current source tree, into bench/.cache/build:
//   server.cjs    the `dodil-server` entry (packages/server/src/main.ts), as `npm run build`
//                 bundles it (CommonJS, better-sqlite3 external), so the bench always measures
//                 the tree as it is, without touching packages/*/dist under other people's tests;
//   generate.cjs  the store generator (bench/lib/generate-store.ts).
//
// Variants (`--variant NAME`, attribution experiments only, never shipped): the server bundle with
// one mechanism switched off by a source rewrite, to measure what that mechanism costs. A rewrite
// whose text is not found fails the build, so an experiment can't silently measure nothing.
import { build } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Undo variants put one optimisation of docs/performance.md back the way it was, so a single bench
// run measures what it bought: `npm run bench -- --compare undo-token-cache,undo-all`.
const UNDO = {
  'undo-body-limit': { 'packages/server/src/app.ts': [["import { bodyLimit } from './http/body-limit';", "import { bodyLimit } from 'hono/body-limit';"]] },
  'undo-gcm-key': {
    'packages/server/src/crypto/aead.ts': [
      ["import { GcmKey } from './gcm-key';", "import { GcmKey } from './gcm-key';\nimport { gcm } from '@noble/ciphers/aes.js';"],
      ['gcmKey(key).seal(nonce, aad, plaintext)', 'gcm(key, nonce, aad).encrypt(plaintext)'],
      ['gcmKey(key).open(nonce, aad, blob.subarray(1 + NONCE_BYTES))', 'gcm(key, nonce, aad).decrypt(blob.subarray(1 + NONCE_BYTES))'],
    ],
  },
  'undo-token-cache': { 'packages/server/src/services/auth-service.ts': [['const stamp = deps.tokens.changeStamp?.();', 'const stamp = undefined as number | undefined;']] },
};

/** What each variant rewrites: file (relative to the repo) → [from, to] pairs. Join names with `+`. */
export const VARIANTS = {
  ...UNDO,
  // Commits without fsync (WAL, synchronous=NORMAL): the cost of durable group commits.
  'no-fsync': { 'packages/server/src/storage/database.ts': [["db.pragma('synchronous = FULL')", "db.pragma('synchronous = NORMAL')"]] },
  // SecretService calls not audited at all: the whole cost of the audit log on reads.
  'no-audit': {
    'packages/server/src/compose.ts': [
      // Reads and failures go unrecorded; writes still carry their entry in their transaction, as before.
      ['createKeyGuardedSecretService(grantsChecked, guard), audit, clock);', 'createKeyGuardedSecretService(grantsChecked, guard), { record: async () => {} }, clock);'],
    ],
  },
  // SQLite reads through mmap (no pread per page miss; mapped pages count in RSS as file pages).
  mmap: { 'packages/server/src/storage/database.ts': [["db.pragma('foreign_keys = ON');", "db.pragma('foreign_keys = ON');\n  db.pragma('mmap_size = 1073741824');"]] },
  // A 16 MiB SQLite page cache instead of the default 2 MiB.
  cache16m: { 'packages/server/src/storage/database.ts': [["db.pragma('foreign_keys = ON');", "db.pragma('foreign_keys = ON');\n  db.pragma('cache_size = -16384');"]] },
  // GHASH tables with 2-bit windows (256 entries per data key instead of 512, twice the lookups).
  'ghash-w2': { 'packages/server/src/crypto/gcm-key.ts': [['const GHASH_TABLE_HINT = 2048;', 'const GHASH_TABLE_HINT = 1024;']] },
  // No automatic WAL checkpoints in the request path (the WAL would grow without bound: experiment only).
  'no-autocheckpoint': { 'packages/server/src/storage/database.ts': [["db.pragma('foreign_keys = ON');", "db.pragma('foreign_keys = ON');\n  db.pragma('wal_autocheckpoint = 0');"]] },
  // No access log line per request.
  'no-access-log': { 'packages/server/src/edge/access-log.ts': [['      return (outcome) => {\n', '      return (outcome) => {\n        if (outcome.kind !== undefined) return;\n']] },
};

/** The rewrites of `a+b+…` (`undo-all`: every undo variant). */
function rewritesOf(name) {
  const names = name === 'undo-all' ? Object.keys(UNDO) : name.split('+');
  const merged = {};
  for (const n of names) {
    const r = VARIANTS[n];
    if (!r) throw new Error(`unknown variant ${n}; known: undo-all, ${Object.keys(VARIANTS).join(', ')}`);
    for (const [file, pairs] of Object.entries(r)) merged[file] = [...(merged[file] ?? []), ...pairs];
  }
  return merged;
}

function variantPlugin(repo, name) {
  const byPath = new Map(Object.entries(rewritesOf(name)).map(([f, pairs]) => [join(repo, f), pairs]));
  const used = new Set();
  return {
    name: 'bench-variant',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const pairs = byPath.get(args.path);
        if (!pairs) return undefined;
        let text = readFileSync(args.path, 'utf8');
        for (const [from, to] of pairs) {
          if (!text.includes(from)) {
            throw new Error(
              `variant ${name}: "${from}" not found in ${args.path}; the code changed, so update VARIANTS in bench/lib/build.mjs (see docs/performance.md)`,
            );
          }
          text = text.replace(from, to);
        }
        used.add(args.path);
        return { contents: text, loader: 'ts' };
      });
      b.onEnd(() => {
        for (const p of byPath.keys()) if (!used.has(p)) throw new Error(`variant ${name}: ${p} was not part of the bundle`);
      });
    },
  };
}

/** Builds the server bundle of a variant; returns its path. */
export async function buildVariant(repo, cacheDir, variant) {
  const outfile = join(cacheDir, 'build', `server-${variant}.cjs`);
  await build({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['better-sqlite3'],
    logLevel: 'error',
    legalComments: 'none',
    absWorkingDir: repo,
    entryPoints: [join(repo, 'packages/server/src/main.ts')],
    outfile,
    define: { __DODIL_VERSION__: '"0.0.0-bench"', __DODIL_COMMIT__: '"bench"' },
    plugins: [variantPlugin(repo, variant)],
  });
  return outfile;
}

/** Builds both bundles (the server as `variant` when given); returns their paths. */
export async function buildBench(repo, cacheDir, variant) {
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
  const server = join(out, variant ? `server-${variant}.cjs` : 'server.cjs');
  const generate = join(out, 'generate.cjs');
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(repo, 'packages/server/src/main.ts')],
      outfile: server,
      define: { __DODIL_VERSION__: '"0.0.0-bench"', __DODIL_COMMIT__: '"bench"' },
      plugins: variant ? [variantPlugin(repo, variant)] : [],
    }),
    build({ ...common, entryPoints: [join(repo, 'bench/lib/generate-store.ts')], outfile: generate }),
  ]);
  return { server, generate };
}
