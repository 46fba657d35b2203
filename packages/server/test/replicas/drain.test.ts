import { expect, test } from 'vitest';
import { cluster } from './support';

// docs/contract.md#storage-engines-and-high-availability: on SIGTERM a replica answers /readyz 503 first, then drains (--drain-delay gives the
// load balancer time to see it), while requests keep being served until the listener closes.
test('on SIGTERM /readyz turns 503 while requests are still served, then the replica exits cleanly', async () => {
  const c = await cluster();
  const replica = await c.replica(['--drain-delay', '2']);
  expect((await fetch(`${replica.url}/readyz`)).status).toBe(200);
  const started = performance.now();
  replica.child.kill('SIGTERM');
  let sawNotReady = false;
  let servedWhileDraining = false;
  while (performance.now() - started < 1500) {
    const ready = await fetch(`${replica.url}/readyz`)
      .then((r) => r.status)
      .catch(() => 0);
    if (ready === 503) sawNotReady = true;
    const res = await fetch(`${replica.url}/v1/ignite/secrets`, {
      headers: { authorization: `Bearer ${c.token}` },
    }).catch(() => undefined);
    if (sawNotReady && res?.status === 200) servedWhileDraining = true;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(sawNotReady).toBe(true);
  expect(servedWhileDraining).toBe(true);
  expect(await replica.exited).toBe(0);
  expect(performance.now() - started).toBeGreaterThan(1900);
});
