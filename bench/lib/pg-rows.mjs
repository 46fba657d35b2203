// The PostgreSQL rows of `npm run bench` (get-pg, create-pg): the same 10k store as the SQLite
// rows, moved into a fresh database by the server's own `dodil-server migrate-store`, served by a
// dodil-server on that database, pinned like the other servers. See docs/performance.md#method.
import {
  acquirePostgres,
  clusterCpuSeconds,
  createDatabase,
  findPostmaster,
  migrateStore,
  pinCluster,
} from './postgres.mjs';

/** Where PostgreSQL's processes run, for the report. */
function placement(server, postmaster, pinnedTo) {
  if (!server.ours)
    return 'not pinned: a server the bench did not start (DODIL_TEST_PG_URL) is not ours to move';
  if (postmaster.pid === undefined) return `not pinned: ${postmaster.reason}`;
  if (pinnedTo === undefined) return 'not pinned (no taskset)';
  return `pinned to core ${pinnedTo} with the servers (postmaster, its workers and every backend)`;
}

/**
 * Sets up PostgreSQL for the PG rows. `store` is a copy of the 10k store of its own (migrate-store
 * adds an audit entry to its source); `startOn(url)` starts a dodil-server on a database URL;
 * `onCleanup(fn)` registers what to undo at the end, also on failure or a signal. Resolves to
 * `{ server, dbCpuSeconds, meta }`, or `{ meta }` with `meta.skipped` when there is no PostgreSQL.
 */
export async function preparePostgres({ repo, bundle, store, masterKey, cpu, startOn, onCleanup, log }) {
  const server = acquirePostgres(repo);
  if (server.skipped) {
    log(`PostgreSQL rows skipped: ${server.skipped}`);
    return { meta: { skipped: server.skipped } };
  }
  onCleanup(server.stop);
  const db = await createDatabase(server.url);
  onCleanup(db.drop);
  const postmaster = await findPostmaster(db.url, db.name);
  // Pinned before any backend of the bench exists: backends are forked by the postmaster and
  // inherit its affinity (the bench itself runs on the load core, and so would a server it starts).
  const pinnedTo =
    server.ours && cpu !== undefined && postmaster.pid !== undefined && pinCluster(postmaster.pid, cpu)
      ? cpu
      : undefined;
  log(
    `PostgreSQL: ${server.source}; ${placement(server, postmaster, pinnedTo)}; migrate-store of the 10k store …`,
  );
  const migrated = migrateStore({ bundle, dataDir: store.dataDir, url: db.url, masterKey });
  const dodil = await startOn(db.url);
  onCleanup(dodil.stop);
  return {
    server: dodil,
    dbCpuSeconds: postmaster.pid === undefined ? undefined : () => clusterCpuSeconds(postmaster.pid),
    meta: {
      skipped: null,
      source: server.source,
      version: postmaster.version ?? null,
      placement: placement(server, postmaster, pinnedTo),
      pinnedCore: pinnedTo ?? null,
      // The cluster's CPU counts every session: on a shared server (CI's) other work lands in it.
      clusterCpu: postmaster.pid === undefined ? postmaster.reason : 'read from /proc (whole cluster)',
      migrated: migrated.summary,
      migrateSeconds: migrated.seconds,
    },
  };
}
