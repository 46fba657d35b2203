import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/cli';
import { errorBody, fakeServer, meta, runWith, tempDir, type FakeAnswer, type SeenRequest } from '../helpers';

/** A small in-memory SecretService over real HTTP; the token "good" has every scope. */
async function api(opts: { scopes?: string[]; pageSize?: number; override?: (req: SeenRequest) => FakeAnswer | undefined } = {}) {
  const slots = new Map<string, { metadata: ReturnType<typeof meta>; value: unknown }>();
  let clock = 1_700_000_000_000;
  const scopes = new Set(opts.scopes ?? ['CreateSecret', 'GetSecret', 'ListSecrets', 'DeleteSecret']);
  const server = await fakeServer((req) => {
    const o = opts.override?.(req);
    if (o) return o;
    if (req.authorization !== 'Bearer good') return { status: 401, json: errorBody(16, 'unknown token') };
    const url = new URL(req.url, 'http://x');
    const need = (scope: string) => (scopes.has(scope) ? undefined : { status: 403, json: errorBody(7, `token lacks ${scope}`) });
    const name = decodeURIComponent(url.pathname.replace('/v1/ignite/secrets/', ''));
    if (req.method === 'POST') {
      const denied = need('CreateSecret');
      if (denied) return denied;
      const body = JSON.parse(req.body) as { name: string; value: Record<string, unknown> };
      const type = 'gitSecret' in body.value ? 'git_secret' : 'registry_secret';
      const old = slots.get(body.name);
      clock += 1000;
      const m = meta(body.name, type, old?.metadata.createdAtMs ?? String(clock), String(clock));
      slots.set(body.name, { metadata: m, value: body.value });
      return { status: 200, json: { metadata: m } };
    }
    if (req.method === 'GET' && url.pathname === '/v1/ignite/secrets') {
      const denied = need('ListSecrets');
      if (denied) return denied;
      const size = Math.min(Number(url.searchParams.get('pageSize') ?? 100), opts.pageSize ?? 1000);
      const names = [...slots.keys()].sort();
      const start = Number(url.searchParams.get('pageToken') || 0);
      const page = names.slice(start, start + size);
      const next = start + size < names.length ? String(start + size) : '';
      return { status: 200, json: { secrets: page.map((n) => slots.get(n)?.metadata), nextPageToken: next } };
    }
    if (req.method === 'GET') {
      const denied = need('GetSecret');
      if (denied) return denied;
      const slot = slots.get(name);
      return slot ? { status: 200, json: slot } : { status: 404, json: errorBody(5, `slot ${name} not found`) };
    }
    if (req.method === 'DELETE') {
      const denied = need('DeleteSecret');
      if (denied) return denied;
      slots.delete(name);
      return { status: 200, json: {} };
    }
    return { status: 404, json: errorBody(5, 'no route') };
  });
  const env = { DODIL_URL: server.url, DODIL_TOKEN: 'good', DODIL_CONFIG: join(tempDir(), 'config.json') };
  return { ...server, slots, env };
}

describe('dodil ignite secret', () => {
  it('create (git, --token-stdin), get, list, delete', async () => {
    const s = await api();
    let r = await runWith(['ignite', 'secret', 'create', 'gh', '--type', 'git', '--username', 'alice', '--token-stdin'], { stdin: 'tok-1\n', env: s.env });
    expect(r).toEqual({ code: 0, stdout: 'created git slot gh\n', stderr: '' });
    expect(s.slots.get('gh')?.value).toEqual({ gitSecret: { username: 'alice', token: 'tok-1' } });
    r = await runWith(['ignite', 'secret', 'create', 'gh', '--type', 'git', '--username', 'alice', '--token-stdin'], { stdin: 'tok-2\r\n', env: s.env });
    expect(r.stdout).toBe('updated git slot gh (rotated)\n');
    expect(s.slots.get('gh')?.value).toEqual({ gitSecret: { username: 'alice', token: 'tok-2' } });

    r = await runWith(['ignite', 'secret', 'get', 'gh'], { env: s.env });
    expect(r.stdout).toMatch(/^NAME     gh\nTYPE     git\nCREATED  2023-11-14T22:13:21Z\nUPDATED  2023-11-14T22:13:22Z\nUSERNAME alice\nTOKEN    tok-2\n$/);
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
    for (const n of ['a', 'b', 'c', 'd']) s.slots.set(n, { metadata: meta(n, 'git_secret', '1', '1'), value: {} });
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
      ['ignite', 'secret', 'create', 'gcr', '--type', 'registry', '--username', '_json_key', '--password-stdin', '--server-address', 'gcr.io', '-o', 'json'],
      { stdin: key, env: s.env },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).metadata).toMatchObject({ name: 'gcr', type: 'registry_secret' });
    expect(s.slots.get('gcr')?.value).toEqual({ registrySecret: { username: '_json_key', password: key.slice(0, -1), serverAddress: 'gcr.io' } });
  });

  it('--password on the command line works with a warning', async () => {
    const s = await api();
    const r = await runWith(['ignite', 'secret', 'create', 'hub', '--type', 'registry', '--username', 'u', '--password', 'p'], { env: s.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/visible to other users/);
    expect(s.slots.get('hub')?.value).toEqual({ registrySecret: { username: 'u', password: 'p', serverAddress: '' } });
  });

  it('list follows every page, in name order; -o json gives one list', async () => {
    const s = await api({ pageSize: 2 });
    for (const n of ['e', 'b', 'a', 'd', 'c']) s.slots.set(n, { metadata: meta(n, 'git_secret'), value: {} });
    const r = await runWith(['ignite', 'secret', 'list', '-o', 'json'], { env: s.env });
    expect(JSON.parse(r.stdout).secrets.map((m: { name: string }) => m.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(s.requests.filter((q) => q.url.startsWith('/v1/ignite/secrets?'))).toHaveLength(3);
  });

  it.each([
    ['missing name', ['ignite', 'secret', 'create', '--type', 'git', '--username', 'u', '--token', 't'], /missing slot name/],
    ['bad name', ['ignite', 'secret', 'create', 'a b', '--type', 'git', '--username', 'u', '--token', 't'], /invalid slot name "a b": a slot name is 1-64/],
    ['bad type', ['ignite', 'secret', 'create', 'a', '--type', 'ssh', '--username', 'u', '--token', 't'], /--type must be git or registry/],
    ['no username', ['ignite', 'secret', 'create', 'a', '--type', 'git', '--token', 't'], /--username is required/],
    ['token and token-stdin', ['ignite', 'secret', 'create', 'a', '--type', 'git', '--username', 'u', '--token', 't', '--token-stdin'], /exactly one of --token or --token-stdin/],
    ['neither', ['ignite', 'secret', 'create', 'a', '--type', 'registry', '--username', 'u'], /exactly one of --password or --password-stdin/],
    ['git with password', ['ignite', 'secret', 'create', 'a', '--type', 'git', '--username', 'u', '--password', 'p'], /a git slot takes --token/],
    ['registry with token', ['ignite', 'secret', 'create', 'a', '--type', 'registry', '--username', 'u', '--token', 't'], /a registry slot takes --password/],
    ['empty stdin', ['ignite', 'secret', 'create', 'a', '--type', 'git', '--username', 'u', '--token-stdin'], /token from stdin is empty/],
    ['newline in username', ['ignite', 'secret', 'create', 'a', '--type', 'git', '--username', 'u\nv', '--token', 't'], /username must not contain line breaks/],
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
    expect(r.stderr.split('\n').find((l) => l.startsWith('dodil: ') && !l.startsWith('dodil: warning:'))).toMatch(message);
    expect(s.requests).toHaveLength(0);
  });

  it.each([
    ['create with a secret where -stdin expects none', ['ignite', 'secret', 'create', 'a', '--type', 'git', '--username', 'u', '--token-stdin', 'ghp_LEAKME']],
    ['login with the token as a bare word', ['login', '--url', 'http://127.0.0.1:1', 'dodil_LEAKME']],
  ])('%s: exit 2, and the stray word is never echoed', async (_n, argv) => {
    const s = await api();
    const r = await runWith(argv, { env: s.env, stdin: 'x' });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain('LEAKME');
  });

  it('stdin over the limit is refused (exit 2)', async () => {
    const s = await api();
    const r = await runWith(['ignite', 'secret', 'create', 'a', '--type', 'git', '--username', 'u', '--token-stdin'], { stdin: 'x'.repeat(20_000), env: s.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/larger than/);
  });
});

describe('exit codes', () => {
  const list = ['ignite', 'secret', 'list'];
  it.each([
    ['INVALID_ARGUMENT from the server', { status: 400, json: errorBody(3, 'bad thing') }, 2, 'dodil: bad thing\n'],
    ['FAILED_PRECONDITION', { status: 400, json: errorBody(9, 'slot x is a git slot; delete it to change its type') }, 1, 'dodil: slot x is a git slot; delete it to change its type\n'],
    ['UNAUTHENTICATED', { status: 401, json: errorBody(16, 'unknown token') }, 3, 'dodil: unknown token\n'],
    ['PERMISSION_DENIED', { status: 403, json: errorBody(7, 'token lacks ListSecrets') }, 4, 'dodil: token lacks ListSecrets\n'],
    ['NOT_FOUND', { status: 404, json: errorBody(5, 'nope') }, 5, 'dodil: nope\n'],
    ['ALREADY_EXISTS', { status: 409, json: errorBody(6, 'exists') }, 6, 'dodil: exists\n'],
    ['RESOURCE_EXHAUSTED', { status: 429, json: errorBody(8, 'too many failed attempts') }, 7, 'dodil: too many failed attempts\n'],
    ['INTERNAL', { status: 500, json: errorBody(13, 'internal error') }, 10, 'dodil: internal error\n'],
    ['500 without a body', { status: 500, text: 'oops' }, 10, /answered HTTP 500/],
    ['502 from a proxy', { status: 502, text: '<html>' }, 9, /answered HTTP 502/],
    ['a body with line breaks stays one line', { status: 400, json: errorBody(3, 'a\nb\r\nc') }, 2, 'dodil: a b c\n'],
    ['200 that is not JSON', { status: 200, text: '<html>' }, 1, /not JSON/],
    ['200 that is not the API', { status: 200, json: { secrets: 'x' } }, 1, /does not match the API/],
  ])('%s', async (_n, answer, code, stderr) => {
    const s = await api({ override: () => answer as FakeAnswer });
    const r = await runWith(list, { env: s.env });
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    if (typeof stderr === 'string') expect(r.stderr).toBe(stderr);
    else expect(r.stderr).toMatch(stderr);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('unreachable server → 9', async () => {
    const r = await runWith(['ignite', 'secret', 'list'], { env: { DODIL_URL: 'http://127.0.0.1:1', DODIL_TOKEN: 'x', DODIL_CONFIG: join(tempDir(), 'c.json') } });
    expect(r).toMatchObject({ code: 9, stdout: '' });
    expect(r.stderr).toBe('dodil: cannot reach server at http://127.0.0.1:1: ECONNREFUSED\n');
  });

  it('a server that never answers → 8 after DODIL_TIMEOUT_MS', async () => {
    const s = await api({ override: () => new Promise<FakeAnswer>(() => undefined) as unknown as FakeAnswer });
    const r = await runWith(['ignite', 'secret', 'list'], { env: { ...s.env, DODIL_TIMEOUT_MS: '300' } });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/no answer from http:\/\/127\.0\.0\.1:\d+ within 300 ms/);
  });

  it('no token anywhere → 3, no request', async () => {
    const s = await api();
    const r = await runWith(['ignite', 'secret', 'list'], { env: { DODIL_URL: s.url, DODIL_CONFIG: join(tempDir(), 'c.json') } });
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
    const r = await runWith(['--token', 'sekrit-api-token', 'ignite', 'secret', 'list'], { env: { DODIL_URL: s.url, DODIL_CONFIG: s.env.DODIL_CONFIG } });
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).not.toContain('sekrit');
    expect(s.requests[0]?.authorization).toBe('Bearer sekrit-api-token');
  });
});

describe('dodil login', () => {
  it('checks the token with ListSecrets pageSize=1 and writes the config 0600, keeping mappings', async () => {
    const s = await api();
    writeFileSync(s.env.DODIL_CONFIG, JSON.stringify({ mappings: { docker: { 'ghcr.io': 'x' } }, theme: 'dark' }));
    const r = await runWith(['login', '--url', `${s.url}/`, '--token', 'good'], { env: { DODIL_CONFIG: s.env.DODIL_CONFIG } });
    expect(r).toEqual({ code: 0, stdout: `logged in to ${s.url}; saved in ${s.env.DODIL_CONFIG} (mode 0600)\n`, stderr: '' });
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
    const r = await runWith(['login', '--url', s.url, '--token-stdin', '-o', 'json'], { stdin: 'good\n', env: { DODIL_CONFIG: s.env.DODIL_CONFIG } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ url: s.url, configPath: s.env.DODIL_CONFIG, canList: false });
  });

  it('a rejected token → 3, nothing written', async () => {
    const s = await api();
    const r = await runWith(['login', '--url', s.url, '--token', 'bad'], { env: { DODIL_CONFIG: s.env.DODIL_CONFIG } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/rejected the token/);
    expect(() => statSync(s.env.DODIL_CONFIG)).toThrow();
  });

  it('an unreachable server → 9, nothing written', async () => {
    const config = join(tempDir(), 'c.json');
    const r = await runWith(['login', '--url', 'http://127.0.0.1:1', '--token', 'x'], { env: { DODIL_CONFIG: config } });
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
    r = await runWith(['login', '--url', s.url, '--token', 'good'], { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') } });
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
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^dodil \S+ \(commit \S+\)\n$/) });
  });
});
