// A PostgreSQL server for the bench (`npm run bench` and bench/ha.mjs): DODIL_TEST_PG_URL when
// set, else a throwaway one from scripts/pg/test-postgres.sh (stopped by its pid through that
// script), else none, with the reason. Each user gets a fresh database in it, dropped at the end,
// so a shared server (CI's) is left as it was.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The PostgreSQL server to use: `{ url, source, ours, dir, stop }` (the admin URL; `stop` is a
 * no-op for a server we did not start), or `{ skipped }` saying why there is none.
 */
export function acquirePostgres(repo, env = process.env) {
  const given = env.DODIL_TEST_PG_URL;
  if (given) return { url: given, source: 'DODIL_TEST_PG_URL', ours: false, stop: () => {} };
  const script = join(repo, 'scripts/pg/test-postgres.sh');
  const r = spawnSync('bash', [script, 'start'], { encoding: 'utf8', timeout: 90_000 });
  const url = /^DODIL_TEST_PG_URL=(.+)$/m.exec(r.stdout ?? '')?.[1];
  const dir = /^DODIL_TEST_PG_DIR=(.+)$/m.exec(r.stdout ?? '')?.[1];
  if (r.status !== 0 || !url || !dir) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' ');
    return { skipped: `DODIL_TEST_PG_URL is unset and scripts/pg/test-postgres.sh start failed: ${why}` };
  }
  let stopped = false;
  return {
    url,
    dir,
    source: 'scripts/pg/test-postgres.sh',
    ours: true,
    // Synchronous, so a signal handler can call it too; the script stops the server by its pid.
    stop: () => {
      if (stopped) return;
      stopped = true;
      spawnSync('bash', [script, 'stop', dir], { stdio: 'ignore', timeout: 60_000 });
    },
  };
}

/** `url` with its database name replaced. */
export function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(adminUrl, sql) {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database `dodil_bench_<random>`: `{ name, url, drop }` (`drop` ends its sessions too). */
export async function createDatabase(adminUrl) {
  const name = `dodil_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  let dropped = false;
  return {
    name,
    url: withDatabase(adminUrl, name),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

function statOf(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(') ') + 2).split(' ');
}

const cmdlineOf = (pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');

/**
 * The postmaster's pid as this machine's /proc sees it, or `{ reason }` when the server runs
 * elsewhere (another host, a container's pid namespace) or /proc is not ours to read. A backend of
 * `database` (one we just created, so the name is unique) must show up in /proc naming that
 * database, with a postgres parent.
 */
export async function findPostmaster(databaseUrl, database) {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  let version;
  try {
    await client.connect();
    // Read while the session is open, so its backend is alive.
    const row = (
      await client.query(`SELECT pg_backend_pid() AS pid, current_setting('server_version') AS version`)
    ).rows[0];
    version = row.version;
    const backend = row.pid;
    if (!cmdlineOf(backend).includes(database))
      return { version, reason: `pid ${backend} here is not its backend` };
    const parent = Number(statOf(backend)[1]);
    if (!cmdlineOf(parent).includes('postgres'))
      return { version, reason: `parent ${parent} is not postgres` };
    return { version, pid: parent };
  } catch (err) {
    return { version, reason: `PostgreSQL's processes are not visible here (${err.code ?? err.message})` };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Pids of the processes whose parent is `pid` (a scan of /proc: no /proc/…/children here). */
export function childrenOf(pid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (Number(statOf(d)[1]) === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds (user + system) of a PostgreSQL cluster so far: the postmaster, its live children
 * (backends, WAL writer, checkpointer…) and, through cutime/cstime, the children it has reaped.
 */
export function clusterCpuSeconds(postmaster) {
  const f = statOf(postmaster);
  let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  for (const child of childrenOf(postmaster)) {
    try {
      const c = statOf(child);
      ticks += Number(c[11]) + Number(c[12]);
    } catch {
      // exited between the scan and the read: its time moves into the postmaster's cutime
    }
  }
  return ticks / 100; // USER_HZ 100
}

/** Pins the postmaster and every process it has forked so far (new backends inherit it) to `cpu`. */
export function pinCluster(postmaster, cpu) {
  const pids = [postmaster, ...childrenOf(postmaster)];
  return pids.every(
    (pid) =>
      spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' }).status === 0,
  );
}

/**
 * Runs `dodil-server migrate-store` of `bundle` from `dataDir` into `url` (an empty database);
 * returns the line it prints and how long it took.
 */
export function migrateStore({ bundle, dataDir, url, masterKey }) {
  const started = performance.now();
  // The target by the environment: migrate-store refuses a password in --to (argv is visible).
  const r = spawnSync(process.execPath, [bundle, 'migrate-store', '--data-dir', dataDir], {
    // The source is the data dir's SQLite file, whatever DODIL_DATABASE_URL the shell has.
    env: {
      ...process.env,
      DODIL_MASTER_KEY: masterKey,
      DODIL_MIGRATE_TO_URL: url,
      DODIL_DATABASE_URL: undefined,
      DODIL_DATABASE_URL_FILE: undefined,
    },
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`migrate-store failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return { summary: r.stderr.trim(), seconds: (performance.now() - started) / 1000 };
}
