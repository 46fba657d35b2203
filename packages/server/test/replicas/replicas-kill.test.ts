import { expect, test } from 'vitest';
import { chainShape, cluster, get, put } from './support';

const ROUNDS = 5;
const WORKERS = 6;

// docs/contract.md#storage-engines-and-high-availability: any number of replicas share one database; a replica killed with SIGKILL loses no
// acknowledged write, the others keep serving, and the audit chain stays one chain.
test('three replicas under mixed load, one SIGKILLed mid-load in each of five rounds: nothing acknowledged is lost', async () => {
  const c = await cluster();
  const replicas = [await c.replica(), await c.replica(), await c.replica()];
  const acked = new Map<string, string>();
  let reads = 0;
  // Requests to the replicas that were not killed: every one must succeed.
  const failedOnOthers: string[] = [];

  for (let round = 0; round < ROUNDS; round++) {
    const victim = round % replicas.length;
    const victimProcess = replicas[victim];
    let running = true;
    const worker = async (w: number) => {
      for (let n = 0; running; n++) {
        // Spread over every replica, the victim included until it dies.
        const target = replicas[(w + n) % replicas.length];
        if (target === undefined) continue;
        const name = `r${round}-w${w}-${n}`;
        const value = `value-${round}-${w}-${n}`;
        const status = await put(target.url, c.token, name, value);
        if (status === 200) acked.set(name, value);
        else if (target !== victimProcess) failedOnOthers.push(`put ${status}`);
        const known = [...acked.keys()];
        const pick = known[(n * 7919 + w) % known.length];
        if (pick !== undefined) {
          const res = await get(target.url, c.token, pick);
          reads++;
          if (res.status !== 200 && target !== victimProcess) failedOnOthers.push(`get ${res.status}`);
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
    await new Promise((r) => setTimeout(r, 700));
    replicas[victim]?.child.kill('SIGKILL');
    await replicas[victim]?.exited;
    await new Promise((r) => setTimeout(r, 500));
    running = false;
    await Promise.all(workers);
    replicas[victim] = await c.replica();
  }

  // Every acknowledged write is there, with its value, read through each replica.
  const lost: string[] = [];
  for (const [name, value] of acked) {
    const via = replicas[name.length % replicas.length];
    if (via === undefined || (await get(via.url, c.token, name)).value !== value) lost.push(name);
  }
  const shape = await chainShape(c);
  const verify = c.admin(['audit', 'verify']);
  console.info(
    `replicas: ${ROUNDS} rounds, ${acked.size} acknowledged writes, ${reads} reads, lost ${lost.length}, ` +
      `failed requests on the other replicas ${failedOnOthers.length}, audit chain ${shape.count} entries (seq ${shape.min}..${shape.max})`,
  );
  expect(lost).toEqual([]);
  expect(failedOnOthers).toEqual([]);
  expect(acked.size).toBeGreaterThan(ROUNDS * 10);
  expect([verify.code, verify.stderr]).toEqual([0, expect.stringContaining('audit log OK')]);
  expect(shape).toEqual({ count: shape.max, min: 1, max: shape.max });
  for (const r of replicas) expect(await r.stop()).toBe(0);
}, 180_000);
