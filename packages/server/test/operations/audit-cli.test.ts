import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { CliIo } from '../../src/cli/io';
import { runServerCli } from '../../src/cli/run';
import { tempDir, testKeyB64 } from '../support/harness';

const KEY_B64 = testKeyB64(4);

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: { DODIL_MASTER_KEY: KEY_B64 },
    signal: new AbortController().signal,
    version: 'test',
  };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

async function run(dir: string, ...args: string[]) {
  const r = io();
  const code = await runServerCli([...args, '--data-dir', dir], r.io);
  return { code, out: r.out(), err: r.err() };
}

describe('dodil-server audit export | prune (CLI)', () => {
  test('prune --before SEQ, verify says from where, anchors before the checkpoint are refused, export warns', async () => {
    const dir = tempDir();
    for (const org of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'])
      expect((await run(dir, 'org', 'create', org)).code).toBe(0);
    const before = await run(dir, 'audit', 'verify');
    expect(before.code).toBe(0);
    const [count, mac] = before.out.trim().split(':');
    expect(Number(count)).toBe(6);
    const anchor3 = (await run(dir, 'audit', 'export', '--since', '2')).out.split('\n')[0] ?? '';
    const mac3 = (JSON.parse(anchor3) as { mac: string }).mac;

    const pruned = await run(dir, 'audit', 'prune', '--before', '4');
    expect(pruned).toMatchObject({ code: 0 });
    expect(pruned.err).toContain(`pruned 3 entries; the log now starts at entry 4 (checkpoint 3:${mac3})`);

    const after = await run(dir, 'audit', 'verify');
    expect(after.code).toBe(0);
    expect(after.out.trim()).toBe(`6:${mac ?? ''}`);
    expect(after.err).toContain('3 entries verify (from entry 4;');
    expect((await run(dir, 'audit', 'verify', '--anchor', `3:${mac3}`)).code).toBe(0);
    const old = await run(dir, 'audit', 'verify', '--anchor', `2:${'0'.repeat(64)}`);
    expect(old.code).toBe(1);
    expect(old.err).toContain('was pruned');
    expect((await run(dir, 'audit', 'verify', '--anchor', `3:${'0'.repeat(64)}`)).code).toBe(1);

    const exported = await run(dir, 'audit', 'export', '--since', '1');
    expect(exported.err).toContain('entries 2..3 were pruned; exporting from entry 4');
    expect(
      exported.out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual([4, 5, 6]);
  });

  test('a pruned store backs up and restores with its checkpoint; verify still says from where', async () => {
    const dir = tempDir();
    for (const org of ['b1', 'b2', 'b3', 'b4']) expect((await run(dir, 'org', 'create', org)).code).toBe(0);
    expect((await run(dir, 'audit', 'prune', '--before', '3')).code).toBe(0);
    const file = join(tempDir(), 'pruned.db');
    expect((await run(dir, 'backup', file)).code).toBe(0);
    const restored = tempDir();
    const restore = await run(restored, 'restore', file);
    expect(restore.code).toBe(0);
    const verify = await run(restored, 'audit', 'verify');
    expect(verify.code).toBe(0);
    expect(verify.err).toContain('(from entry 3;');
  });

  test.each([
    [['audit', 'prune'], 'needs --before'],
    [['audit', 'prune', '--before', '0'], 'at least 1'],
    [['audit', 'prune', '--before', '90x'], 'a duration is'],
    [['audit', 'export', '--since', 'abc'], '--since is'],
    [['audit', 'export', 'extra'], 'usage'],
  ])('%j is an operator error (exit 2)', async (args, message) => {
    const dir = tempDir();
    const r = await run(dir, ...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});
