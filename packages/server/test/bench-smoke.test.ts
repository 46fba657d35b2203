import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, inject, onTestFinished, test } from 'vitest';
import { tempDir } from './support/harness';

const repo = resolve(__dirname, '../../..');

interface HttpRow {
  id: string;
  engine: string | null;
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  ratioToHello: number;
  dbCpuUsPerRequest: number | null;
}
interface HelperRow {
  id: string;
  medianMs?: number;
  ratio?: number;
  error?: string;
}
interface BenchResult {
  meta: {
    mode: string;
    loadGenerator: string;
    helperBuilds: { bundle?: string; sea?: string };
    postgres: { skipped: string | null; error?: string; migrated?: string; clusterCpu?: string };
  };
  http: HttpRow[];
  scale: { ratio: number };
  helper: HelperRow[];
  memory: Record<string, { rssMiB: number }>;
  startup: Array<{ id: string; medianMs: number }>;
  goals: Array<{ id: string; value: number | null }>;
  failedRows: string[];
}

/**
 * Runs `node bench/run.mjs --smoke` as a user would, bounded in time; resolves to its exit code and
 * output. `pgUrl`: the test PostgreSQL server for the PostgreSQL rows ('' leaves the bench to find one).
 */
function runSmoke(out: string, pgUrl: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolvePromise) => {
    // autocannon always, so this test behaves the same with or without wrk installed.
    // --compare undo-all: the rewrites behind docs/performance.md's before/after table still apply.
    const args = [
      'bench/run.mjs',
      '--smoke',
      '--loadgen',
      'autocannon',
      '--compare',
      'undo-all',
      '--out',
      out,
    ];
    const child = spawn(process.execPath, args, {
      cwd: repo,
      env: pgUrl === '' ? process.env : { ...process.env, DODIL_TEST_PG_URL: pgUrl },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // The bench stops its own servers; this only guards against a hang of the bench itself.
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    onTestFinished(() => {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stderr });
    });
  });
}

// Keeps `npm run bench` from rotting: one tiny run (small stores, 1 s loads, one helper call each)
// must produce every row. Nothing here is timed: the numbers are only checked to be numbers.
test('npm run bench in smoke mode produces every row of the report', { timeout: 180_000 }, async () => {
  const out = join(tempDir('dodil-bench-smoke-'), 'smoke.json');
  // The server project's PostgreSQL (DODIL_TEST_PG_URL in CI, else one started for the run).
  const pgUrl = inject('pgAdminUrl');
  const { code, stderr } = await runSmoke(out, pgUrl);
  expect(code, stderr).toBe(0);
  const r = JSON.parse(readFileSync(out, 'utf8')) as BenchResult;
  // With a PostgreSQL server the rows beside SQLite's GetSecret and CreateSecret must be there;
  // without one (the bench then tries to start its own), the report must say why they are missing.
  const pg = r.meta.postgres;
  const pgRan = pg.skipped === null && pg.error === undefined;
  if (pgUrl !== '') {
    expect(pg, stderr).toMatchObject({ skipped: null });
    expect(pg.error, stderr).toBeUndefined();
    expect(pg.migrated).toMatch(/^copied \d+ orgs, \d+ slots/);
  } else if (!pgRan) {
    expect(`${pg.skipped ?? ''}${pg.error ?? ''}`).not.toBe('');
  }

  expect(r.meta.mode).toBe('smoke');
  expect(r.meta.loadGenerator).toBe('autocannon');
  expect(r.http.map((h) => h.id)).toEqual([
    'hello',
    'get',
    ...(pgRan ? ['get-pg'] : []),
    'list',
    'create',
    ...(pgRan ? ['create-pg'] : []),
    'get-1k',
    'get-1m',
    'get@undo-all',
  ]);
  for (const h of r.http.filter((x) => x.id.endsWith('-pg'))) {
    expect(h.engine, h.id).toBe('postgres');
    // The cluster's CPU is read from /proc when its processes are visible here (a local server).
    if (r.meta.postgres.clusterCpu?.startsWith('read from /proc'))
      expect(h.dbCpuUsPerRequest, h.id).toBeGreaterThan(0);
  }
  for (const h of r.http.filter((x) => x.id !== 'hello' && !x.id.endsWith('-pg')))
    expect(h.engine, h.id).toBe('sqlite');
  for (const h of r.http) {
    expect(h.rps, h.id).toBeGreaterThan(0);
    expect(h.errors, h.id).toBe(0);
    expect(
      Number.isFinite(h.p50ms) && Number.isFinite(h.p99ms) && Number.isFinite(h.ratioToHello),
      h.id,
    ).toBe(true);
  }
  expect(r.failedRows).toEqual([]);
  expect(Number.isFinite(r.scale.ratio)).toBe(true);

  const helper = new Map(r.helper.map((h) => [h.id, h]));
  const expected = ['helper.node-e0', 'helper.credential-store'];
  // Whichever helper builds exist in the tree are measured (the bundle after `npm run build`,
  // the single executable after `npm run build:binaries`).
  for (const [kind, file] of [
    ['bundle', 'packages/helper/dist/dodil.cjs'],
    ['sea', 'dist/bin/dodil'],
  ] as const) {
    if (existsSync(join(repo, file)))
      expected.push(`helper.git-fill-${kind}`, `helper.docker-get-${kind}`, `helper.version-${kind}`);
  }
  expect([...helper.keys()].sort()).toEqual(expected.sort());
  for (const id of expected) {
    const row = helper.get(id);
    expect(row?.error, id).toBeUndefined();
    expect(row?.medianMs, id).toBeGreaterThan(0);
  }

  for (const key of ['10k', '1M', 'hello']) expect(r.memory[key]?.rssMiB, key).toBeGreaterThan(0);
  expect(r.startup.map((s) => s.id)).toEqual(['startup-10k', 'startup-1m']);
  for (const s of r.startup) expect(s.medianMs, s.id).toBeGreaterThan(0);
  expect(r.goals.map((g) => g.id)).toEqual([
    'goal.get-vs-hello',
    'goal.get-p99',
    'goal.scale',
    'goal.helper',
    'goal.rss',
  ]);
  for (const g of r.goals.filter((x) => x.id !== 'goal.helper')) expect(typeof g.value, g.id).toBe('number');
});
