import { describe, expect, it } from 'vitest';
import { meta, runWith } from '../helpers';
import { api } from './fake-api';

describe('dodil ignite secret', () => {
  it('create (git, --token-stdin), get, list, delete', async () => {
    const s = await api();
    let r = await runWith(
      ['ignite', 'secret', 'create', 'gh', '--type', 'git', '--username', 'alice', '--token-stdin'],
      { stdin: 'tok-1\n', env: s.env },
    );
    expect(r).toEqual({ code: 0, stdout: 'created git slot gh\n', stderr: '' });
    expect(s.slots.get('gh')?.value).toEqual({ gitSecret: { username: 'alice', token: 'tok-1' } });
    r = await runWith(
      ['ignite', 'secret', 'create', 'gh', '--type', 'git', '--username', 'alice', '--token-stdin'],
      { stdin: 'tok-2\r\n', env: s.env },
    );
    expect(r.stdout).toBe('updated git slot gh (rotated)\n');
    expect(s.slots.get('gh')?.value).toEqual({ gitSecret: { username: 'alice', token: 'tok-2' } });

    r = await runWith(['ignite', 'secret', 'get', 'gh'], { env: s.env });
    expect(r.stdout).toMatch(
      /^NAME {5}gh\nTYPE {5}git\nCREATED {2}2023-11-14T22:13:21Z\nUPDATED {2}2023-11-14T22:13:22Z\nUSERNAME alice\nTOKEN {4}tok-2\n$/,
    );
    r = await runWith(['ignite', 'secret', 'get', 'gh', '-o', 'json'], { env: s.env });
    expect(JSON.parse(r.stdout)).toEqual(s.slots.get('gh'));

    r = await runWith(['ignite', 'secret', 'list'], { env: s.env });
    expect(r.stdout).toBe('NAME  TYPE  UPDATED\ngh    git   2023-11-14T22:13:22Z\n');
    expect(r.stdout).not.toContain('tok');

    r = await runWith(['ignite', 'secret', 'delete', 'gh'], { env: s.env });
    expect(r).toEqual({ code: 0, stdout: 'deleted slot gh\n', stderr: '' });
    r = await runWith(['ignite', 'secret', 'delete', 'gh', '-o', 'json'], { env: s.env });
    expect(r.stdout).toBe('{}\n');
    // a missing slot: still exit 0, and it says so
    r = await runWith(['ignite', 'secret', 'delete', 'gh'], { env: s.env });
    expect(r).toEqual({ code: 0, stdout: 'slot gh was not there; nothing to delete\n', stderr: '' });
    r = await runWith(['ignite', 'secret', 'get', 'gh'], { env: s.env });
    expect(r).toEqual({ code: 5, stdout: '', stderr: 'dodil: slot gh not found\n' });
  });

  it('delete: a slot found on a later page is deleted; a token that may not list just deletes', async () => {
    const s = await api({ pageSize: 2 });
    for (const n of ['a', 'b', 'c', 'd'])
      s.slots.set(n, { metadata: meta(n, 'git_secret', '1', '1'), value: {} });
    let r = await runWith(['ignite', 'secret', 'delete', 'd'], { env: s.env });
    expect(r.stdout).toBe('deleted slot d\n');
    expect(s.slots.has('d')).toBe(false);
    const deleteOnly = await api({ scopes: ['DeleteSecret'] });
    deleteOnly.slots.set('x', { metadata: meta('x', 'git_secret', '1', '1'), value: {} });
    r = await runWith(['ignite', 'secret', 'delete', 'x'], { env: deleteOnly.env });
    expect(r).toEqual({ code: 0, stdout: 'deleted slot x\n', stderr: '' });
    expect(deleteOnly.slots.has('x')).toBe(false);
  });

  it('create registry with --password-stdin keeps inner newlines and the server address', async () => {
    const s = await api();
    const key = '{\n  "type": "service_account"\n}\n';
    const r = await runWith(
      [
        'ignite',
        'secret',
        'create',
        'gcr',
        '--type',
        'registry',
        '--username',
        '_json_key',
        '--password-stdin',
        '--server-address',
        'gcr.io',
        '-o',
        'json',
      ],
      { stdin: key, env: s.env },
    );
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { metadata: unknown }).metadata).toMatchObject({
      name: 'gcr',
      type: 'registry_secret',
    });
    expect(s.slots.get('gcr')?.value).toEqual({
      registrySecret: { username: '_json_key', password: key.slice(0, -1), serverAddress: 'gcr.io' },
    });
  });

  it('--password on the command line works with a warning', async () => {
    const s = await api();
    const r = await runWith(
      ['ignite', 'secret', 'create', 'hub', '--type', 'registry', '--username', 'u', '--password', 'p'],
      { env: s.env },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/visible to other users/);
    expect(s.slots.get('hub')?.value).toEqual({
      registrySecret: { username: 'u', password: 'p', serverAddress: '' },
    });
  });

  it('list follows every page, in name order; -o json gives one list', async () => {
    const s = await api({ pageSize: 2 });
    for (const n of ['e', 'b', 'a', 'd', 'c']) s.slots.set(n, { metadata: meta(n, 'git_secret'), value: {} });
    const r = await runWith(['ignite', 'secret', 'list', '-o', 'json'], { env: s.env });
    expect((JSON.parse(r.stdout) as { secrets: Array<{ name: string }> }).secrets.map((m) => m.name)).toEqual(
      ['a', 'b', 'c', 'd', 'e'],
    );
    expect(s.requests.filter((q) => q.url.startsWith('/v1/ignite/secrets?'))).toHaveLength(3);
  });

  it('a missing option: named on its own line, a one-line hint, then the usage (not squashed)', async () => {
    const s = await api();
    const r = await runWith(['ignite', 'secret', 'create', 'a', '--username', 'u', '--token-stdin'], {
      env: s.env,
      stdin: 't',
    });
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'dodil: missing --type',
      'hint: git (a git token) or registry (a registry login)',
      '',
      'usage: dodil ignite secret create NAME --type git --username U (--token T | --token-stdin) [-o json]',
    ]);
    expect(s.requests).toHaveLength(0);
  });

  it.each([
    [
      'missing name',
      ['ignite', 'secret', 'create', '--type', 'git', '--username', 'u', '--token', 't'],
      /missing slot name/,
    ],
    [
      'bad name',
      ['ignite', 'secret', 'create', 'a b', '--type', 'git', '--username', 'u', '--token', 't'],
      /invalid slot name "a b": a slot name is 1-64/,
    ],
    [
      'bad type',
      ['ignite', 'secret', 'create', 'a', '--type', 'ssh', '--username', 'u', '--token', 't'],
      /--type must be git or registry/,
    ],
    [
      'no type',
      ['ignite', 'secret', 'create', 'a', '--username', 'u', '--token', 't'],
      /^dodil: missing --type$/,
    ],
    [
      'no username',
      ['ignite', 'secret', 'create', 'a', '--type', 'git', '--token', 't'],
      /^dodil: missing --username$/,
    ],
    [
      'token and token-stdin',
      [
        'ignite',
        'secret',
        'create',
        'a',
        '--type',
        'git',
        '--username',
        'u',
        '--token',
        't',
        '--token-stdin',
      ],
      /exactly one of --token or --token-stdin/,
    ],
    [
      'neither',
      ['ignite', 'secret', 'create', 'a', '--type', 'registry', '--username', 'u'],
      /^dodil: missing --password-stdin$/,
    ],
    [
      'git with password',
      ['ignite', 'secret', 'create', 'a', '--type', 'git', '--username', 'u', '--password', 'p'],
      /a git slot takes --token/,
    ],
    [
      'registry with token',
      ['ignite', 'secret', 'create', 'a', '--type', 'registry', '--username', 'u', '--token', 't'],
      /a registry slot takes --password/,
    ],
    [
      'empty stdin',
      ['ignite', 'secret', 'create', 'a', '--type', 'git', '--username', 'u', '--token-stdin'],
      /token from stdin is empty/,
    ],
    [
      'newline in username',
      ['ignite', 'secret', 'create', 'a', '--type', 'git', '--username', 'u\nv', '--token', 't'],
      /username must not contain line breaks/,
    ],
    ['unknown option', ['ignite', 'secret', 'list', '--all'], /unknown option --all/],
    ['extra argument', ['ignite', 'secret', 'get', 'a', 'b'], /unexpected argument "b"/],
    ['bad -o', ['ignite', 'secret', 'list', '-o', 'yaml'], /-o must be json or text/],
    ['unknown command', ['ignite', 'secret', 'rotate'], /unknown command "ignite secret rotate"/],
  ])('%s → exit 2, one stderr line, no request', async (_n, argv, message) => {
    const s = await api();
    const r = await runWith(argv, { env: s.env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    // the problem is named on the first line (a hint and the usage may follow, each on its own line)
    expect(
      r.stderr.split('\n').find((l) => l.startsWith('dodil: ') && !l.startsWith('dodil: warning:')),
    ).toMatch(message);
    expect(s.requests).toHaveLength(0);
  });

  it.each([
    [
      'create with a secret where -stdin expects none',
      ['ignite', 'secret', 'create', 'a', '--type', 'git', '--username', 'u', '--token-stdin', 'ghp_LEAKME'],
    ],
    ['login with the token as a bare word', ['login', '--url', 'http://127.0.0.1:1', 'dodil_LEAKME']],
  ])('%s: exit 2, and the stray word is never echoed', async (_n, argv) => {
    const s = await api();
    const r = await runWith(argv, { env: s.env, stdin: 'x' });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain('LEAKME');
  });

  it('stdin over the limit is refused (exit 2)', async () => {
    const s = await api();
    const r = await runWith(
      ['ignite', 'secret', 'create', 'a', '--type', 'git', '--username', 'u', '--token-stdin'],
      { stdin: 'x'.repeat(20_000), env: s.env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/larger than/);
  });
});
