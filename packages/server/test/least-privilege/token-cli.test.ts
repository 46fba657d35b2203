import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runServerCli } from '../../src/cli/run';
import type { CliIo } from '../../src/cli/io';
import { openRuntime } from '../../src/runtime';
import { tempDir, testClock, testKeyB64 } from '../support/harness';

const KEY_B64 = testKeyB64(3);

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

describe('dodil-server token create --slots and token list', () => {
  test('grants are stored, enforced and listed with last use (written at most once a minute)', async () => {
    const dir = tempDir();
    expect(await runServerCli(['org', 'create', 'acme', '--data-dir', dir], io().io)).toBe(0);
    const made = io();
    const argv = [
      'token',
      'create',
      '--org',
      'acme',
      '--scopes',
      'GetSecret',
      '--slots',
      'gh-*,ghcr-pull',
      '--data-dir',
      dir,
    ];
    expect(await runServerCli(argv, made.io)).toBe(0);
    const token = made.out().trim();

    const clock = testClock();
    const rt = await openRuntime({
      databaseFile: join(dir, 'dodil.db'),
      masterKey: Buffer.from(KEY_B64, 'base64'),
      clock,
    });
    const principal = await rt.auth.authenticate(`Bearer ${token}`, '127.0.0.1');
    expect(principal.grants).toEqual(['gh-*', 'ghcr-pull']);
    const first = clock();
    clock.advance(30_000);
    await rt.auth.authenticate(`Bearer ${token}`, '127.0.0.1'); // within the minute: not written
    const list1 = io();
    expect(
      await runServerCli(['token', 'list', '--org', 'acme', '-o', 'json', '--data-dir', dir], list1.io),
    ).toBe(0);
    expect(JSON.parse(list1.out())).toMatchObject([{ grants: ['gh-*', 'ghcr-pull'], lastUsedAtMs: first }]);
    clock.advance(31_000);
    await rt.auth.authenticate(`Bearer ${token}`, '127.0.0.1');
    await rt.close();

    const list2 = io();
    expect(
      await runServerCli(['token', 'list', '--org', 'acme', '-o', 'json', '--data-dir', dir], list2.io),
    ).toBe(0);
    expect(JSON.parse(list2.out())).toMatchObject([{ lastUsedAtMs: first + 61_000 }]);
    const table = io();
    expect(await runServerCli(['token', 'list', '--org', 'acme', '--data-dir', dir], table.io)).toBe(0);
    expect(table.out()).toMatch(/^ID\s+NAME\s+SCOPES\s+SLOTS\s+CREATED\s+EXPIRES\s+LAST USED\s+REVOKED\n/);
    expect(table.out()).toContain('gh-*,ghcr-pull');
    expect(table.out()).not.toContain(token.split('_').slice(2).join('_'));
  });

  test.each([['gh**'], [''], ['a b'], ['*x']])('--slots %j is refused with the rule', async (slots) => {
    const dir = tempDir();
    await runServerCli(['org', 'create', 'acme', '--data-dir', dir], io().io);
    const run = io();
    const code = await runServerCli(
      ['token', 'create', '--org', 'acme', '--scopes', 'GetSecret', '--slots', slots, '--data-dir', dir],
      run.io,
    );
    expect(code).toBe(2);
    expect(run.err()).toMatch(/slot pattern/);
    expect(run.out()).toBe('');
  });
});
