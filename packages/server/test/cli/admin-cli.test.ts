import { describe, expect, test } from 'vitest';
import { runServerCli } from '../../src/cli/run';
import type { CliIo } from '../../src/cli/io';
import { openRuntime } from '../../src/runtime';
import { tempDir, testKeyB64 } from '../support/harness';
import { join } from 'node:path';

const KEY_B64 = testKeyB64(3);

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: { DODIL_MASTER_KEY: KEY_B64, ...env },
    signal: new AbortController().signal,
    version: 'test',
  };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

describe('dodil-server admin subcommands', () => {
  test('org create, token create (token only on stdout), token list (never the token), revoke', async () => {
    const dir = tempDir();
    const orgRun = io();
    expect(await runServerCli(['org', 'create', 'acme', '--data-dir', dir], orgRun.io)).toBe(0);
    expect(orgRun.out()).toBe('');

    const tokenRun = io();
    const code = await runServerCli(
      [
        'token',
        'create',
        '--org',
        'acme',
        '--scopes',
        'GetSecret,ListSecrets',
        '--name',
        'ci',
        '--expires-in',
        '90d',
        '--data-dir',
        dir,
      ],
      tokenRun.io,
    );
    expect(code).toBe(0);
    const token = tokenRun.out().trim();
    expect(token).toMatch(/^dodil_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const id = token.split('_')[1] ?? '';

    const listRun = io();
    expect(
      await runServerCli(['token', 'list', '--org', 'acme', '-o', 'json', '--data-dir', dir], listRun.io),
    ).toBe(0);
    const listed = JSON.parse(listRun.out()) as Array<Record<string, unknown>>;
    expect(listed).toMatchObject([{ id, name: 'ci', scopes: ['GetSecret', 'ListSecrets'] }]);
    expect(listRun.out()).not.toContain(token.split('_').slice(2).join('_'));

    const table = io();
    expect(await runServerCli(['token', 'list', '--org', 'acme', '--data-dir', dir], table.io)).toBe(0);
    expect(table.out()).toMatch(/^ID\s+NAME\s+SCOPES/);

    expect(await runServerCli(['token', 'revoke', id, '--data-dir', dir], io().io)).toBe(0);
    expect(await runServerCli(['token', 'revoke', id, '--data-dir', dir], io().io)).toBe(5);

    const rt = await openRuntime({
      databaseFile: join(dir, 'dodil.db'),
      masterKey: Buffer.from(KEY_B64, 'base64'),
    });
    await expect(rt.auth.authenticate(`Bearer ${token}`, 'x')).rejects.toThrow('token revoked');
    await rt.close();
  });

  test.each([
    [['token', 'create', '--org', 'acme', '--scopes', 'Nope'], 2, /unknown scope Nope/],
    [['token', 'create', '--org', 'ghost', '--scopes', 'GetSecret'], 5, /org ghost not found/],
    [
      ['token', 'create', '--org', 'acme'],
      2,
      /^dodil-server token: token create needs --scopes: a comma-separated list of [A-Za-z,]+\n\nusage:/,
    ],
    [['org', 'create', 'bad name'], 2, /invalid org name/],
    [['org', 'create', 'acme'], 6, /already exists/],
    [['token', 'create', '--org', 'acme', '--scopes', 'GetSecret', '--bogus'], 2, /bogus/],
    [['nope'], 2, /unknown command/],
  ])('%j exits %i', async (argv, exit, message) => {
    const dir = tempDir();
    await runServerCli(['org', 'create', 'acme', '--data-dir', dir], io().io);
    const run = io();
    expect(await runServerCli([...argv, '--data-dir', dir], run.io)).toBe(exit);
    expect(run.err()).toMatch(message);
    expect(run.out()).toBe('');
  });

  test('org list: every org by name, as a table or JSON, never a key', async () => {
    const dir = tempDir();
    for (const name of ['zeta', 'acme'])
      expect(await runServerCli(['org', 'create', name, '--data-dir', dir], io().io)).toBe(0);
    const table = io();
    expect(await runServerCli(['org', 'list', '--data-dir', dir], table.io)).toBe(0);
    expect(table.out()).toMatch(/^NAME {2}CREATED\nacme {2}\d{4}-\d\d-\d\dT[\d:.]+Z\nzeta {2}\d{4}-/);
    const json = io();
    expect(await runServerCli(['org', 'list', '-o', 'json', '--data-dir', dir], json.io)).toBe(0);
    expect((JSON.parse(json.out()) as Array<{ name: string }>).map((o) => o.name)).toEqual(['acme', 'zeta']);
    expect(Object.keys((JSON.parse(json.out()) as object[])[0] ?? {})).toEqual(['name', 'createdAtMs']);
  });

  test('a wrong master key is refused with a clear message', async () => {
    const dir = tempDir();
    await runServerCli(['org', 'create', 'acme', '--data-dir', dir], io().io);
    const run = io({ DODIL_MASTER_KEY: testKeyB64(4) });
    expect(await runServerCli(['org', 'create', 'other', '--data-dir', dir], run.io)).toBe(3);
    expect(run.err()).toMatch(/does not open this data directory/);
  });

  test('start refuses plain HTTP off loopback, and refuses without a master key', async () => {
    const dir = tempDir();
    const offLoopback = io();
    expect(await runServerCli(['start', '--listen', '0.0.0.0:0', '--data-dir', dir], offLoopback.io)).toBe(2);
    expect(offLoopback.err()).toMatch(/--insecure-http/);
    const noKey = io({ DODIL_MASTER_KEY: '' });
    expect(await runServerCli(['start', '--listen', '127.0.0.1:0', '--data-dir', dir], noKey.io)).toBe(2);
    expect(noKey.err()).toMatch(/no master key/);
  });

  test('--version and --help', async () => {
    const v = io();
    expect(await runServerCli(['--version'], v.io)).toBe(0);
    expect(v.out()).toBe('dodil-server test\n');
    for (const argv of [['--help'], ['start', '--help'], ['org', '--help'], ['token', '--help']]) {
      const h = io();
      expect(await runServerCli(argv, h.io)).toBe(0);
      expect(h.out()).toMatch(/usage/);
    }
  });
});
