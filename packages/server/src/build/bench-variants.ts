// Bench-only switches (`npm run bench -- --variant NAME`), fixed at build time. Each one turns a
// mechanism off or puts an optimisation of docs/performance.md back the way it was, so a bench run
// measures what it costs or bought. packages/server/bundle-options.mjs defines every
// `__DODIL_BENCH_*__` as a literal: `false` in every release bundle, where minification drops the
// branches (test/build/release-bundle.test.ts checks that none survived), so nothing at run time
// can turn one on. Sources run by tsx or vitest have no defines, hence the `typeof` guard at each
// use: all off. The guard must sit in the file that branches: esbuild folds a define at parse
// time, but a constant imported from another module too late to drop the branch.

declare global {
  /** `undo-body-limit`: hono's own bodyLimit on every request (http/body-limit.ts). */
  const __DODIL_BENCH_UNDO_BODY_LIMIT__: boolean | undefined;
  /** `undo-gcm-key`: noble's GCM per call, key schedule and GHASH table every time (crypto/aead.ts). */
  const __DODIL_BENCH_UNDO_GCM_KEY__: boolean | undefined;
  /** `undo-token-cache`: every request re-reads and re-hashes its token (services/auth-service.ts). */
  const __DODIL_BENCH_UNDO_TOKEN_CACHE__: boolean | undefined;
  /** `no-fsync`: WAL commits with synchronous=NORMAL, the cost of durable commits (storage/database.ts). */
  const __DODIL_BENCH_NO_FSYNC__: boolean | undefined;
  /** `no-audit`: reads and failures go unrecorded (writes still carry their entry), the audit log's cost on reads (audit/audited-secret-service.ts). */
  const __DODIL_BENCH_NO_AUDIT__: boolean | undefined;
  /** `mmap`: SQLite reads through mmap (below). */
  const __DODIL_BENCH_MMAP__: boolean | undefined;
  /** `cache16m`: a 16 MiB SQLite page cache instead of 2 MiB (below). */
  const __DODIL_BENCH_CACHE16M__: boolean | undefined;
  /** `ghash-w2`: GHASH tables with 2-bit windows, half the entries, twice the lookups (crypto/gcm-key.ts). */
  const __DODIL_BENCH_GHASH_W2__: boolean | undefined;
  /** `no-autocheckpoint`: no WAL checkpoints in the request path; the WAL grows without bound (below). */
  const __DODIL_BENCH_NO_AUTOCHECKPOINT__: boolean | undefined;
  /** `no-access-log`: no access log line per request, REST or RPC (edge/access-log.ts). */
  const __DODIL_BENCH_NO_ACCESS_LOG__: boolean | undefined;
}

/**
 * Extra SQLite pragmas of the storage variants, run after the regular ones:
 * `mmap` (reads through mmap), `cache16m` (a 16 MiB page cache) and
 * `no-autocheckpoint` (no WAL checkpoints in the request path; the WAL grows
 * without bound, experiment only). Empty in every release bundle.
 */
export function benchPragmas(): string[] {
  const pragmas: string[] = [];
  if (typeof __DODIL_BENCH_MMAP__ === 'boolean' && __DODIL_BENCH_MMAP__)
    pragmas.push('mmap_size = 1073741824');
  if (typeof __DODIL_BENCH_CACHE16M__ === 'boolean' && __DODIL_BENCH_CACHE16M__)
    pragmas.push('cache_size = -16384');
  if (typeof __DODIL_BENCH_NO_AUTOCHECKPOINT__ === 'boolean' && __DODIL_BENCH_NO_AUTOCHECKPOINT__)
    pragmas.push('wal_autocheckpoint = 0');
  return pragmas;
}
