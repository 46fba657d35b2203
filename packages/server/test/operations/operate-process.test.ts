import { spawn } from 'node:child_process';
import { onTestFinished, expect, test } from 'vitest';
import { tempDir, testKeyB64 } from '../support/harness';
import { parsePrometheusText, sampleSum } from '../support/prom-text';
import { builtServer, provisionOrg, runServer, startServer } from '../support/server-process';

const MASTER = testKeyB64(9);

function follower(env: Record<string, string>, since: number) {
  const child = spawn(
    process.execPath,
    [builtServer(), 'audit', 'export', '--follow', '--since', String(since)],
    {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines: { seq: number; at: number }[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const p of parts) lines.push({ seq: (JSON.parse(p) as { seq: number }).seq, at: performance.now() });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('the built server: metrics on their own port, export --follow across a restart, retention at start', async () => {
  const dir = tempDir();
  const env = { DODIL_DATA_DIR: dir, DODIL_MASTER_KEY: MASTER };
  const token = provisionOrg(env);
  const auth = { authorization: `Bearer ${token}` };

  const first = await startServer(['--metrics-listen', '127.0.0.1:0'], env);
  const metricsUrl = /"msg":"metrics listening","url":"([^"]+)"/.exec(first.stdout())?.[1] ?? '';
  expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const follow = follower(env, 0);
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${first.url}/v1/ignite/secrets`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `s${i}`, value: { gitSecret: { username: 'u', token: `ghp_${i}` } } }),
    });
    expect(res.status).toBe(200);
  }
  expect((await fetch(`${first.url}/v1/ignite/secrets/nope`, { headers: auth })).status).toBe(404);
  expect((await fetch(`${first.url}/openapi.json`)).status).toBe(200);
  const families = parsePrometheusText(await (await fetch(metricsUrl)).text());
  expect(
    sampleSum(families, 'http_server_request_duration_seconds_count', {
      protocol: 'rest',
      route: '/v1/ignite/secrets',
      status: '200',
    }),
  ).toBe(4);
  expect(sampleSum(families, 'http_server_request_duration_seconds_count', { status: '404' })).toBe(1);
  expect(sampleSum(families, 'dodil_audit_entries_total')).toBeGreaterThanOrEqual(5);
  expect(families.has('process_resident_memory_bytes')).toBe(true);
  expect(await first.stop()).toBe(0);

  // The follower keeps going while no server runs, and picks up the restarted one's entries.
  const second = await startServer([], env);
  const sent = performance.now();
  expect((await fetch(`${second.url}/v1/ignite/secrets/s1`, { headers: auth })).status).toBe(200);
  const verified = runServer(['audit', 'verify'], env);
  expect(verified.code).toBe(0);
  const count = Number(verified.stdout.split(':')[0]);
  await until(() => follow.lines.some((l) => l.seq === count), `entry ${count} from the follower`);
  const delay = (follow.lines.find((l) => l.seq === count)?.at ?? Infinity) - sent;
  console.info(`export --follow delay after a request on the restarted server: ${delay.toFixed(0)} ms`);
  expect(delay).toBeLessThan(5000);
  expect(await second.stop()).toBe(0);
  follow.child.kill('SIGTERM');
  expect(await follow.exited).toBe(0);
  expect(follow.lines.map((l) => l.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));

  // Resuming from the last seq printed: nothing repeated, nothing lost.
  const resumed = runServer(['audit', 'export', '--since', String(count - 2)], env);
  expect(resumed.code).toBe(0);
  expect(
    resumed.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { seq: number }).seq),
  ).toEqual([count - 1, count]);
  expect(resumed.stdout).not.toContain('ghp_');

  // Retention at start prunes everything older than 1 s (never the newest entry); verify says from where.
  await new Promise((r) => setTimeout(r, 1100));
  const third = await startServer(['--audit-retention', '1s'], env);
  await until(() => third.stdout().includes('"msg":"audit pruned"'), 'the retention prune');
  expect(await third.stop()).toBe(0);
  const after = runServer(['audit', 'verify'], env);
  expect(after.code).toBe(0);
  const remaining = runServer(['audit', 'export'], env).stdout.trim().split('\n');
  const firstSeq = (JSON.parse(remaining[0] ?? '{}') as { seq: number }).seq;
  expect(firstSeq).toBeGreaterThan(count - 1);
  const late = runServer(['audit', 'export', '--since', '1'], env);
  expect(late.stdout.trim().split('\n')[0]).toContain(`"seq":${firstSeq}`);
});

test('a metrics port that is taken fails the start cleanly (exit 1, nothing left listening)', async () => {
  const dir = tempDir();
  const env = { DODIL_DATA_DIR: dir, DODIL_MASTER_KEY: MASTER };
  const first = await startServer(['--metrics-listen', '127.0.0.1:0'], env);
  const taken = /"msg":"metrics listening","url":"http:\/\/([^/]+)\/metrics"/.exec(first.stdout())?.[1] ?? '';
  const second = runServer(['start', '--listen', '127.0.0.1:0', '--metrics-listen', taken], env);
  expect(second.code).toBe(1);
  expect(second.stderr).toContain('cannot listen: EADDRINUSE');
  const badFlag = runServer(['start', '--metrics-listen', 'nope'], env);
  expect([badFlag.code, badFlag.stderr]).toEqual([
    2,
    expect.stringContaining('--metrics-listen must be host:port'),
  ]);
  expect(await first.stop()).toBe(0);
});
