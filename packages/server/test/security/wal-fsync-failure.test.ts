import { fsync } from 'node:fs';
import { expect, test } from 'vitest';
import type { FsyncFn } from '../../src/storage/wal-sync';
import { gitValue, makeHarness } from '../support/harness';

// A WAL fsync that fails (EIO) after the commit: the request that committed is refused, never
// answered OK, and so is everything after it (docs/performance.md#the-wal-fsync-off-the-event-loop-issue-14).
test('a failed WAL fsync refuses the write that committed before it, later requests, and readiness', async () => {
  let failing = false;
  const walFsync: FsyncFn = (fd, done) =>
    failing ? setImmediate(() => done(Object.assign(new Error('EIO'), { code: 'EIO' }))) : fsync(fd, done);
  const h = await makeHarness({ walFsync });
  const token = await h.token();
  const created = await h.call('POST', '/v1/ignite/secrets', {
    token,
    body: { name: 'before', value: gitValue() },
  });
  expect(created.status).toBe(200);
  expect((await h.call('GET', '/readyz')).status).toBe(200);

  failing = true;
  const write = await h.call('POST', '/v1/ignite/secrets', {
    token,
    body: { name: 'lost', value: gitValue() },
  });
  expect(write.status).toBe(503);
  expect(write.json).toMatchObject({ code: 14 }); // gRPC UNAVAILABLE
  expect(write.text).not.toContain('ghp_testtoken');

  // Sticky: a later fsync succeeding would prove nothing about pages the kernel failed to write.
  failing = false;
  const read = await h.call('GET', '/v1/ignite/secrets/before', { token });
  expect(read.status).toBe(503);
  expect(read.text).not.toContain('ghp_testtoken');
  const again = await h.call('POST', '/v1/ignite/secrets', {
    token,
    body: { name: 'later', value: gitValue() },
  });
  expect(again.status).toBe(503);
  const ready = await h.call('GET', '/readyz');
  expect(ready.status).toBe(503);
});
