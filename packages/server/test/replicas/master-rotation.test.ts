import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { TEST_MASTER_KEY, tempDir } from '../support/harness';
import { cluster, get, put } from './support';

const b64 = (key: Uint8Array) => `${Buffer.from(key).toString('base64')}\n`;

// docs/contract.md#storage-engines-and-high-availability: a master key rotation reaches every replica within a second, without a restart and
// without failing a request. The replicas read their key from a file: the operator writes the new
// key into it, then runs `keys rotate-master`; each replica's key guard sees the new check value,
// re-reads the file and adopts the key.
test('master key rotation under reads and writes on three replicas: 0 failed requests, no restart', async () => {
  const c = await cluster();
  const keyFile = join(tempDir(), 'master.key');
  writeFileSync(keyFile, b64(TEST_MASTER_KEY), { mode: 0o600 });
  const newKey = new Uint8Array(32).map((_, i) => (i * 37 + 11) % 256);
  const newKeyFile = join(tempDir(), 'new.key');
  writeFileSync(newKeyFile, b64(newKey), { mode: 0o600 });
  const replicas = await Promise.all([0, 1, 2].map(() => c.replica(['--master-key-file', keyFile])));
  for (let i = 0; i < 30; i++)
    expect(await put(replicas[i % 3]?.url ?? '', c.token, `m-${i}`, `M-${i}`)).toBe(200);

  let running = true;
  let requests = 0;
  const failures: string[] = [];
  const worker = async (w: number) => {
    for (let n = 0; running; n++) {
      const r = replicas[(w + n) % 3];
      const name = `m-${(n * 7 + w) % 30}`;
      const res = await get(r?.url ?? '', c.token, name);
      requests++;
      if (res.status !== 200 || res.value !== `M-${(n * 7 + w) % 30}`)
        failures.push(`get ${name}: ${res.status}`);
      const status = await put(r?.url ?? '', c.token, `w-${w}-${n}`, 'W');
      requests++;
      if (status !== 200) failures.push(`put: ${status}`);
    }
  };
  const workers = [0, 1, 2].map(worker);
  await new Promise((r) => setTimeout(r, 500));
  // The replicas' key file gets the new key first (they keep using the old one in memory), then the rotation.
  writeFileSync(keyFile, b64(newKey), { mode: 0o600 });
  const rotated = await c.adminAsync(['keys', 'rotate-master', '--new-master-key-file', newKeyFile]);
  await new Promise((r) => setTimeout(r, 2500));
  running = false;
  await Promise.all(workers);

  console.info(
    `master key rotation under load: ${requests} requests on 3 replicas, ${failures.length} failed`,
  );
  expect([rotated.code, rotated.stderr]).toEqual([0, expect.any(String)]);
  expect(failures).toEqual([]);
  expect(requests).toBeGreaterThan(30);
  // Same processes, now on the new key: after an org key rotation (a data key wrapped by the new
  // master key, and caches dropped on every replica) reads still succeed.
  const newKeyEnv = { DODIL_MASTER_KEY: Buffer.from(newKey).toString('base64') };
  expect(c.admin(['keys', 'rotate-org', 'acme'], newKeyEnv).code).toBe(0);
  await new Promise((r) => setTimeout(r, 1500));
  for (const r of replicas) {
    expect((await get(r.url, c.token, 'm-1')).status).toBe(200);
    expect([r.child.exitCode, r.child.signalCode]).toEqual([null, null]);
    expect(r.output()).not.toContain('sealed');
  }
  expect(c.admin(['audit', 'verify']).code).toBe(3); // the old key no longer opens the store
  const verify = c.admin(['audit', 'verify'], newKeyEnv);
  expect([verify.code, verify.stderr]).toEqual([0, expect.stringContaining('audit log OK')]);
  // A replica that restarts comes up on the key file alone.
  const fresh = await c.replica(['--master-key-file', keyFile]);
  expect((await get(fresh.url, c.token, 'm-0')).value).toBe('M-0');
});
