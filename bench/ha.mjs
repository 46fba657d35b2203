#!/usr/bin/env node
// `node bench/ha.mjs [--seconds S] [--connections C]`: GetSecret and CreateSecret on PostgreSQL next
// to SQLite, and one PostgreSQL replica against two, in one run on this machine (docs/ha.md).
// Uses the built server (npm run build) and the bench's PostgreSQL (bench/lib/postgres.mjs:
// DODIL_TEST_PG_URL, else a throwaway one from scripts/pg/test-postgres.sh), in a fresh database.
// `npm run bench` has the one-replica rows too (get-pg, create-pg), on the 10k store and pinned.
// Every replica and the database share this machine's cores: on 2 cores, two replicas compete with
// PostgreSQL and the load generator for the same CPUs, so read this as a cost comparison, not as
// the scaling a cluster with a core per replica would show.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { acquirePostgres, createDatabase } from './lib/postgres.mjs';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const main = join(repo, 'packages/server/dist/main.cjs');
const { values: opt } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '16' } },
});
const seconds = Number(opt.seconds);
const connections = Number(opt.connections);
const KEY = 'pSeL6jh6tVgl2Qo3d3Ae08kUXxTqQH63sDu06WnlGSI='; // fixed and random-looking: new stores refuse weak keys

function admin(args, env) {
  const r = spawnSync(process.execPath, [main, ...args], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function startReplica(env) {
  const child = spawn(process.execPath, [main, 'start', '--listen', '127.0.0.1:0'], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 30_000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /"msg":"listening","url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.resume();
        resolve({ url: m[1], stop: () => child.kill('SIGTERM') });
      }
    });
  });
}

async function load(urls, token, mode) {
  const per = Math.max(1, Math.floor(connections / urls.length));
  const results = await Promise.all(
    urls.map((url) =>
      autocannon({
        url,
        connections: per,
        duration: seconds,
        requests: [
          mode === 'get'
            ? {
                method: 'GET',
                path: '/v1/ignite/secrets/bench-0',
                headers: { authorization: `Bearer ${token}` },
              }
            : {
                method: 'POST',
                path: '/v1/ignite/secrets',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body: JSON.stringify({
                  name: 'bench-w',
                  value: { gitSecret: { username: 'b', token: 'bench-value' } },
                }),
              },
        ],
      }),
    ),
  );
  const rps = results.reduce((s, r) => s + r.requests.average, 0);
  const non2xx = results.reduce((s, r) => s + r.non2xx + r.errors, 0);
  const p99 = Math.max(...results.map((r) => r.latency.p99));
  return { rps: Math.round(rps), p99, non2xx };
}

async function scenario(label, env, replicas) {
  const token = admin(['token', 'create', '--org', 'bench', '--scopes', 'GetSecret,CreateSecret'], env);
  const servers = [];
  for (let i = 0; i < replicas; i++) servers.push(await startReplica(env));
  try {
    await fetch(`${servers[0].url}/v1/ignite/secrets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'bench-0',
        value: { gitSecret: { username: 'b', token: 'bench-value' } },
      }),
    });
    const urls = servers.map((s) => s.url);
    const get = await load(urls, token, 'get');
    const create = await load(urls, token, 'create');
    return { label, get, create };
  } finally {
    for (const s of servers) s.stop();
    await new Promise((r) => setTimeout(r, 500));
  }
}

const rows = [];
const dataDir = mkdtempSync(join(tmpdir(), 'dodil-ha-bench-'));
const pgServer = acquirePostgres(repo);
if (pgServer.skipped) throw new Error(pgServer.skipped);
let db;
try {
  db = await createDatabase(pgServer.url);
  const pgUrl = db.url;
  const sqlite = { DODIL_MASTER_KEY: KEY, DODIL_DATA_DIR: dataDir };
  admin(['org', 'create', 'bench'], sqlite);
  rows.push(await scenario('SQLite, 1 server', sqlite, 1));
  const postgres = { DODIL_MASTER_KEY: KEY, DODIL_DATABASE_URL: pgUrl };
  admin(['org', 'create', 'bench'], postgres);
  rows.push(await scenario('PostgreSQL, 1 replica', postgres, 1));
  rows.push(await scenario('PostgreSQL, 2 replicas', postgres, 2));
} finally {
  await db?.drop();
  pgServer.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(`\n${seconds} s per cell, ${connections} connections in all; req/s (p99 ms) [non-2xx]`);
console.log('| setup | GetSecret | CreateSecret |\n|---|---|---|');
for (const r of rows) {
  const cell = (x) => `${x.rps} (${x.p99})${x.non2xx ? ` [${x.non2xx}]` : ''}`;
  console.log(`| ${r.label} | ${cell(r.get)} | ${cell(r.create)} |`);
}
