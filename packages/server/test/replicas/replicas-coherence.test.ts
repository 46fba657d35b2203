import { SCOPES } from '@dodil/shared';
import { expect, test } from 'vitest';
import { cluster, get, put, statusFrom, until } from './support';

const TRIES = 20;

// docs/contract.md#storage-engines-and-high-availability: a token revoke made through any replica or admin command takes effect on every replica
// within 1 second (target). The assertion allows 5 s: timed assertions on a loaded machine flake.
test('a token revoked by the admin command is refused by every replica; the largest delay over 20 tries', async () => {
  const c = await cluster();
  const replicas = [await c.replica(), await c.replica(), await c.replica()];
  for (const r of replicas) expect(await put(r.url, c.token, `warm-${r.url.length}`, 'v')).toBe(200);
  const delays: number[] = [];
  for (let i = 0; i < TRIES; i++) {
    const created = c.admin(['token', 'create', '--org', 'acme', '--scopes', SCOPES.join(',')]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    // One source address per try: its refusals must not add up to the per-address throttle.
    const from = `127.0.0.${10 + i}`;
    const status = (base: string) => statusFrom(base, '/v1/ignite/secrets/nothing', token, from);
    // Cached as valid on every replica first: the revoke must reach those caches.
    for (const r of replicas) expect(await status(r.url)).toBe(404);
    const revoked = c.admin(['token', 'revoke', token.split('_')[1] ?? '']);
    expect(revoked.code).toBe(0);
    // The admin command has committed; from here every replica must refuse the token.
    const refused = await Promise.all(
      replicas.map((r) =>
        until(async () => (await status(r.url)) === 401, 10_000, 'the revoke to reach a replica'),
      ),
    );
    delays.push(Math.max(...refused));
  }
  const max = Math.max(...delays);
  const sorted = [...delays].sort((a, b) => a - b);
  console.info(
    `revoke seen by all 3 replicas: median ${sorted[TRIES / 2]?.toFixed(0)} ms, max ${max.toFixed(0)} ms over ${TRIES} tries`,
  );
  expect(max).toBeLessThan(5000);
}, 240_000);

// An org key rotation run while other replicas serve reads: a reader holding an old row still finds
// its key until the row is re-encrypted, and replicas drop their key caches on the change feed.
test('org key rotation by the admin command under reads on three replicas: 0 failed reads, new writes use the new key', async () => {
  const c = await cluster();
  const replicas = [await c.replica(), await c.replica(), await c.replica()];
  const values = new Map<string, string>();
  for (let i = 0; i < 60; i++) {
    const name = `rot-${i}`;
    expect(await put(replicas[i % 3]?.url ?? '', c.token, name, `ROT-${i}`)).toBe(200);
    values.set(name, `ROT-${i}`);
  }
  let running = true;
  let reads = 0;
  const failures: string[] = [];
  const reader = async (w: number) => {
    for (let n = 0; running; n++) {
      const r = replicas[(w + n) % 3];
      const name = `rot-${(n * 13 + w) % 60}`;
      const res = await get(r?.url ?? '', c.token, name);
      reads++;
      if (res.status !== 200 || res.value !== values.get(name)) failures.push(`${name}: ${res.status}`);
    }
  };
  const readers = [0, 1, 2, 3].map(reader);
  const rotations: Array<{ code: number; stderr: string }> = [];
  for (let i = 0; i < 2; i++)
    rotations.push(await c.adminAsync(['keys', 'rotate-org', 'acme', '--batch-size', '7']));
  // Writes after the rotation land under the newest key on every replica.
  for (const r of replicas) expect(await put(r.url, c.token, `after-${r.url.length}`, 'AFTER')).toBe(200);
  running = false;
  await Promise.all(readers);
  const versions = await c.sql<{ key_version: number; n: number }>(
    `SELECT key_version, count(*)::int AS n FROM slots GROUP BY key_version ORDER BY key_version`,
  );
  console.info(
    `org key rotation under load: ${reads} reads on 3 replicas, ${failures.length} failed; slots by key version ${JSON.stringify(versions)}`,
  );
  expect(rotations.map((r) => r.code)).toEqual([0, 0]);
  expect(failures).toEqual([]);
  expect(reads).toBeGreaterThan(30);
  expect(versions).toEqual([{ key_version: 3, n: 61 }]);
}, 240_000);
