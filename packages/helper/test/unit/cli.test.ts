import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/cli';
import { errorBody, runWith, tempDir, type FakeAnswer } from '../helpers';
import { api } from './fake-api';

describe('exit codes', () => {
  const list = ['ignite', 'secret', 'list'];
  it.each([
    [
      'INVALID_ARGUMENT from the server',
      { status: 400, json: errorBody(3, 'bad thing') },
      2,
      'dodil: bad thing\n',
    ],
    [
      'FAILED_PRECONDITION',
      { status: 400, json: errorBody(9, 'slot x is a git slot; delete it to change its type') },
      1,
      'dodil: slot x is a git slot; delete it to change its type\n',
    ],
    ['UNAUTHENTICATED', { status: 401, json: errorBody(16, 'unknown token') }, 3, 'dodil: unknown token\n'],
    [
      'PERMISSION_DENIED',
      { status: 403, json: errorBody(7, 'token lacks ListSecrets') },
      4,
      'dodil: token lacks ListSecrets\n',
    ],
    ['NOT_FOUND', { status: 404, json: errorBody(5, 'nope') }, 5, 'dodil: nope\n'],
    ['ALREADY_EXISTS', { status: 409, json: errorBody(6, 'exists') }, 6, 'dodil: exists\n'],
    [
      'RESOURCE_EXHAUSTED',
      { status: 429, json: errorBody(8, 'too many failed attempts') },
      7,
      'dodil: too many failed attempts\n',
    ],
    ['INTERNAL', { status: 500, json: errorBody(13, 'internal error') }, 10, 'dodil: internal error\n'],
    ['500 without a body', { status: 500, text: 'oops' }, 10, /answered HTTP 500/],
    ['502 from a proxy', { status: 502, text: '<html>' }, 9, /answered HTTP 502/],
    [
      'a body with line breaks stays one line',
      { status: 400, json: errorBody(3, 'a\nb\r\nc') },
      2,
      'dodil: a b c\n',
    ],
    ['200 that is not JSON', { status: 200, text: '<html>' }, 1, /not JSON/],
    ['200 that is not the API', { status: 200, json: { secrets: 'x' } }, 1, /does not match the API/],
  ])('%s', async (_n, answer, code, stderr) => {
    const s = await api({ override: () => answer });
    const r = await runWith(list, { env: s.env });
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    if (typeof stderr === 'string') expect(r.stderr).toBe(stderr);
    else expect(r.stderr).toMatch(stderr);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('unreachable server → 9', async () => {
    const r = await runWith(['ignite', 'secret', 'list'], {
      env: { DODIL_URL: 'http://127.0.0.1:1', DODIL_TOKEN: 'x', DODIL_CONFIG: join(tempDir(), 'c.json') },
    });
    expect(r).toMatchObject({ code: 9, stdout: '' });
    expect(r.stderr).toBe('dodil: cannot reach server at http://127.0.0.1:1: ECONNREFUSED\n');
  });

  it('a server that never answers → 8 after DODIL_TIMEOUT_MS', async () => {
    const s = await api({
      override: () => new Promise<FakeAnswer>(() => undefined) as unknown as FakeAnswer,
    });
    const r = await runWith(['ignite', 'secret', 'list'], { env: { ...s.env, DODIL_TIMEOUT_MS: '300' } });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/no answer from http:\/\/127\.0\.0\.1:\d+ within 300 ms/);
  });

  it('no token anywhere → 3, no request', async () => {
    const s = await api();
    const r = await runWith(['ignite', 'secret', 'list'], {
      env: { DODIL_URL: s.url, DODIL_CONFIG: join(tempDir(), 'c.json') },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no token: run `dodil login/);
    expect(s.requests).toHaveLength(0);
  });

  it.each([['0'], ['abc'], ['-5']])('DODIL_TIMEOUT_MS=%s → 2', async (value) => {
    const s = await api();
    const r = await runWith(['ignite', 'secret', 'list'], { env: { ...s.env, DODIL_TIMEOUT_MS: value } });
    expect(r.code).toBe(2);
  });

  it.each([
    [{ DODIL_URL: 'localhost:8700' }, /DODIL_URL must be an http:\/\/ or https:\/\/ URL/],
    [{ DODIL_URL: 'ftp://x' }, /DODIL_URL must be/],
    [{ DODIL_TOKEN: 'a\r\nX-Evil: 1' }, /the token from DODIL_TOKEN contains spaces or control characters/],
  ])('bad client settings %j → 2, no request', async (extra, message) => {
    const s = await api();
    const r = await runWith(['ignite', 'secret', 'list'], { env: { ...s.env, ...extra } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(s.requests).toHaveLength(0);
  });

  it('a broken config file → 1, naming the file', async () => {
    const s = await api();
    writeFileSync(s.env.DODIL_CONFIG, '[]');
    const r = await runWith(['ignite', 'secret', 'list'], { env: s.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`dodil: config file ${s.env.DODIL_CONFIG}: must be a JSON object\n`);
  });

  it('the API token never appears in output', async () => {
    const s = await api({ override: () => ({ status: 401, json: errorBody(16, 'unknown token') }) });
    const r = await runWith(['--token', 'sekrit-api-token', 'ignite', 'secret', 'list'], {
      env: { DODIL_URL: s.url, DODIL_CONFIG: s.env.DODIL_CONFIG },
    });
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).not.toContain('sekrit');
    expect(s.requests[0]?.authorization).toBe('Bearer sekrit-api-token');
  });
});

describe('dodil login', () => {
  it('checks the token with ListSecrets pageSize=1 and writes the config 0600, keeping mappings', async () => {
    const s = await api();
    writeFileSync(
      s.env.DODIL_CONFIG,
      JSON.stringify({ mappings: { docker: { 'ghcr.io': 'x' } }, theme: 'dark' }),
    );
    const r = await runWith(['login', '--url', `${s.url}/`, '--token', 'good'], {
      env: { DODIL_CONFIG: s.env.DODIL_CONFIG },
    });
    expect(r).toEqual({
      code: 0,
      stdout: `logged in to ${s.url}; saved in ${s.env.DODIL_CONFIG} (mode 0600)\n`,
      stderr: '',
    });
    expect(s.requests.map((q) => q.url)).toEqual(['/v1/ignite/secrets?pageSize=1']);
    expect(statSync(s.env.DODIL_CONFIG).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(s.env.DODIL_CONFIG, 'utf8'))).toEqual({
      url: s.url,
      token: 'good',
      mappings: { git: [], docker: { 'ghcr.io': 'x' } },
      theme: 'dark',
    });
    // and later commands use it
    const list = await runWith(['ignite', 'secret', 'list'], { env: { DODIL_CONFIG: s.env.DODIL_CONFIG } });
    expect(list.code).toBe(0);
  });

  it('--token-stdin, and a token without ListSecrets is still accepted', async () => {
    const s = await api({ scopes: ['GetSecret'] });
    const r = await runWith(['login', '--url', s.url, '--token-stdin', '-o', 'json'], {
      stdin: 'good\n',
      env: { DODIL_CONFIG: s.env.DODIL_CONFIG },
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ url: s.url, configPath: s.env.DODIL_CONFIG, canList: false });
  });

  it('a rejected token → 3, nothing written', async () => {
    const s = await api();
    const r = await runWith(['login', '--url', s.url, '--token', 'bad'], {
      env: { DODIL_CONFIG: s.env.DODIL_CONFIG },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/rejected the token/);
    expect(() => statSync(s.env.DODIL_CONFIG)).toThrow();
  });

  it('an unreachable server → 9, nothing written', async () => {
    const config = join(tempDir(), 'c.json');
    const r = await runWith(['login', '--url', 'http://127.0.0.1:1', '--token', 'x'], {
      env: { DODIL_CONFIG: config },
    });
    expect(r.code).toBe(9);
    expect(() => statSync(config)).toThrow();
  });

  it.each([
    [['login', '--url', 'ftp://x', '--token', 't'], /--url must be an http/],
    [['login'], /^dodil: missing token\nhint: give it with --token-stdin/],
    [['login', '--token', 'a b'], /no spaces/],
  ])('%j → 2', async (argv, message) => {
    const r = await runWith(argv, { env: { DODIL_CONFIG: join(tempDir(), 'c.json') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('the config location follows XDG_CONFIG_HOME, then HOME', async () => {
    const s = await api();
    const home = tempDir();
    let r = await runWith(['login', '--url', s.url, '--token', 'good'], { env: { HOME: home } });
    expect(r.stdout).toContain(join(home, '.config', 'dodil', 'config.json'));
    expect(statSync(join(home, '.config', 'dodil')).mode & 0o777).toBe(0o700);
    r = await runWith(['login', '--url', s.url, '--token', 'good'], {
      env: { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') },
    });
    expect(r.stdout).toContain(join(home, 'xdg', 'dodil', 'config.json'));
  });
});

describe('help and version', () => {
  it.each(COMMANDS.map((c) => [c.path.join(' ')]))('dodil %s --help', async (path) => {
    const r = await runWith([...path.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: dodil /);
  });

  it.each([[['--help']], [['help']], [['-h']]])('%j prints the command list', async (argv) => {
    const r = await runWith(argv);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dodil ignite secret create');
    expect(r.stdout).toContain('Exit codes');
  });

  it('help for a group', async () => {
    const r = await runWith(['ignite', 'secret', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: dodil ignite secret list');
  });

  it('no command → usage on stderr, exit 2', async () => {
    const r = await runWith([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: dodil');
  });

  it.each([[['--version']], [['version']], [['-V']]])('%j', async (argv) => {
    const r = await runWith(argv);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dodil \S+ \(commit \S+\)\n$/);
  });
});
