import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { normaliseRegistryHost } from '@dodil/shared';
import { describe, expect, it } from 'vitest';
import { NOT_FOUND } from '../../src/docker/protocol';
import { errorBody, fakeTransport, gitSlot, meta, registrySlot, runWith, tempDir } from '../helpers';

const REGISTRY = [
  registrySlot('hub', 'hubuser', 'hub-pw', ''),
  registrySlot('local', 'alice', 'local-pw', '127.0.0.1:5000'),
  registrySlot('ghcr-a', 'a', 'a-pw', 'ghcr.io'),
  registrySlot('ghcr-b', 'b', 'b-pw', 'https://ghcr.io/'),
  registrySlot('quay', 'q', 'q-pw', 'quay.io'),
];
const GIT = { gh: gitSlot('gh', 'alice', 'tok') };

function server(opts: { lying?: boolean; status?: number } = {}) {
  return fakeTransport((req) => {
    if (opts.status) return { status: opts.status, json: errorBody(13, 'boom') };
    const url = new URL(req.url);
    if (url.pathname === '/v1/ignite/registry-secrets') {
      const host = url.searchParams.get('host');
      const key = host === null ? undefined : normaliseRegistryHost(host);
      // a lying server returns every slot: the helper must filter again
      const secrets = REGISTRY.filter(
        (s) =>
          opts.lying ||
          key === undefined ||
          normaliseRegistryHost(s.value.registrySecret.serverAddress) === key,
      );
      return { status: 200, json: { secrets } };
    }
    const name = decodeURIComponent(url.pathname.split('/').pop() ?? '');
    if (req.method === 'POST') {
      const body = JSON.parse(req.body ?? '{}') as { name: string };
      return { status: 200, json: { metadata: meta(body.name, 'registry_secret', '1', '2') } };
    }
    const slot = [...REGISTRY].find((s) => s.metadata.name === name) ?? GIT[name as 'gh'];
    return slot ? { status: 200, json: slot } : { status: 404, json: errorBody(5, `slot ${name} not found`) };
  });
}

function env(docker: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  const config = join(tempDir(), 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ url: 'http://dodil.test', token: 't', mappings: { docker }, ...extra }),
  );
  return { DODIL_CONFIG: config };
}

const docker = (argv: string[], stdin: string, e: Record<string, string>, transport = server().transport) =>
  runWith(argv, {
    program: '/usr/lib/docker/cli-plugins/../docker-credential-dodil',
    stdin,
    env: e,
    transport,
  });

describe('docker helper get', () => {
  it.each([
    ['https://index.docker.io/v1/', 'hubuser'],
    ['docker.io', 'hubuser'],
    ['index.docker.io', 'hubuser'],
    ['registry-1.docker.io', 'hubuser'],
    ['HTTPS://Registry-1.Docker.IO/v2/', 'hubuser'],
    ['127.0.0.1:5000', 'alice'],
    ['http://127.0.0.1:5000/v2/', 'alice'],
    ['127.0.0.1:5000/team/app', 'alice'],
    ['quay.io:443', 'q'],
  ])('%s → the only matching slot, ServerURL echoed', async (serverUrl, username) => {
    const r = await docker(['get'], serverUrl, env());
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.stdout) as Record<string, string>;
    expect(answer.ServerURL).toBe(serverUrl);
    expect(answer.Username).toBe(username);
  });

  it('trims a trailing newline from stdin', async () => {
    const r = await docker(['get'], '127.0.0.1:5000\n', env());
    expect(JSON.parse(r.stdout)).toEqual({
      ServerURL: '127.0.0.1:5000',
      Username: 'alice',
      Secret: 'local-pw',
    });
  });

  it('a mapping wins over the server address match', async () => {
    const r = await docker(['get'], 'ghcr.io', env({ 'https://GHCR.io': 'ghcr-b' }));
    expect(JSON.parse(r.stdout)).toMatchObject({ Username: 'b', Secret: 'b-pw' });
  });

  it('several matching slots: an error naming them, on stdout, exit 1', async () => {
    const r = await docker(['get'], 'ghcr.io', env());
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      'several registry slots match ghcr.io: ghcr-a, ghcr-b; choose one with: dodil setup docker ghcr.io --slot NAME\n',
    );
  });

  it.each([
    ['unknown registry', 'nowhere.example:5000', {}, /no registry slot for nowhere\.example:5000/],
    ['another port', '127.0.0.1:5001', {}, /no registry slot/],
    ['not a host', 'user@evil', {}, /is not a registry host/],
    [
      'mapped slot missing',
      'quay.io',
      { 'quay.io': 'gone' },
      /slot "gone" \(mapped to quay\.io\): slot gone not found/,
    ],
    ['mapped slot is a git slot', 'quay.io', { 'quay.io': 'gh' }, /is a git slot/],
  ])(
    '%s → exactly the not-found sentence, exit 1, reason on stderr',
    async (_n, serverUrl, mapping, reason) => {
      const r = await docker(['get'], serverUrl, env(mapping));
      expect(r).toMatchObject({ code: 1, stdout: `${NOT_FOUND}\n` });
      expect(r.stderr).toMatch(reason);
    },
  );

  it('empty stdin → "no credentials server URL"', async () => {
    const r = await docker(['get'], '', env());
    expect(r).toMatchObject({ code: 1, stdout: 'no credentials server URL\n' });
  });

  it('unreachable server → not found (public pulls go on), reason on stderr', async () => {
    const e = { ...env(), DODIL_URL: 'http://127.0.0.1:1' };
    const r = await runWith(['get'], { program: 'docker-credential-dodil', stdin: 'ghcr.io', env: e });
    expect(r).toMatchObject({ code: 1, stdout: `${NOT_FOUND}\n` });
    expect(r.stderr).toMatch(/ECONNREFUSED/);
  });

  it('a server error → not found with the reason', async () => {
    const r = await docker(['get'], 'ghcr.io', env(), server({ status: 500 }).transport);
    expect(r).toMatchObject({ code: 1, stdout: `${NOT_FOUND}\n` });
    expect(r.stderr).toMatch(/boom/);
  });

  it('never answers a value for the wrong host, even from a lying server', async () => {
    const hosts = [
      'docker.io',
      'https://index.docker.io/v1/',
      '127.0.0.1:5000',
      'quay.io',
      'ghcr.io',
      'other.io',
      '',
    ];
    const arb = fc.oneof(
      fc.constantFrom(...hosts),
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
    );
    const e = env();
    await fc.assert(
      fc.asyncProperty(arb, async (serverUrl) => {
        const r = await docker(['get'], serverUrl, e, server({ lying: true }).transport);
        if (r.code !== 0) {
          expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
          expect(r.stdout).not.toMatch(/-pw/);
          return;
        }
        const answer = JSON.parse(r.stdout) as { ServerURL: string; Secret: string };
        const key = normaliseRegistryHost(serverUrl);
        const slot = REGISTRY.find((s) => s.value.registrySecret.password === answer.Secret);
        expect(slot && normaliseRegistryHost(slot.value.registrySecret.serverAddress)).toBe(key);
        expect(answer.ServerURL).toBe(serverUrl.trim());
      }),
      { numRuns: 2500 },
    );
  }, 120_000);
});

describe('docker helper store / erase / list / version', () => {
  const STORE = '{"ServerURL":"127.0.0.1:5000","Username":"alice","Secret":"new-pw"}\n';

  it('store rotates the mapped slot, keeping its server address', async () => {
    const { transport, requests } = server();
    const r = await docker(['store'], STORE, env({ '127.0.0.1:5000': 'local' }), transport);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toMatch(/rotated registry slot "local" for 127\.0\.0\.1:5000/);
    const post = requests.find((q) => q.method === 'POST');
    expect(JSON.parse(post?.body ?? '')).toEqual({
      name: 'local',
      value: { registrySecret: { username: 'alice', password: 'new-pw', serverAddress: '127.0.0.1:5000' } },
    });
  });

  it('store for Docker Hub on a mapped slot that does not exist yet creates it with an empty address', async () => {
    const { transport, requests } = server();
    const r = await docker(
      ['store'],
      '{"ServerURL":"https://index.docker.io/v1/","Username":"u","Secret":"s"}',
      env({ 'docker.io': 'new-hub' }),
      transport,
    );
    expect(r.code).toBe(0);
    const body = JSON.parse(requests.find((q) => q.method === 'POST')?.body ?? '') as {
      value: { registrySecret: { serverAddress: unknown } };
    };
    expect(body.value.registrySecret.serverAddress).toBe('');
  });

  it('store without a mapping fails and says how to create the slot', async () => {
    const { transport, requests } = server();
    const r = await docker(['store'], STORE, env(), transport);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^no dodil slot is mapped to 127\.0\.0\.1:5000; create one with: dodil ignite secret create NAME --type registry .*--server-address 127\.0\.0\.1:5000 && dodil setup docker 127\.0\.0\.1:5000 --slot NAME\n$/,
    );
    expect(requests).toHaveLength(0);
  });

  it('store without CreateSecret scope says so', async () => {
    const { transport } = fakeTransport((req) =>
      req.method === 'POST'
        ? { status: 403, json: errorBody(7, 'missing scope CreateSecret') }
        : { status: 200, json: REGISTRY[1] },
    );
    const r = await docker(['store'], STORE, env({ '127.0.0.1:5000': 'local' }), transport);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/may not rotate slot "local" \(it lacks the CreateSecret scope\)/);
  });

  it.each([
    ['not JSON', 'nope', 'invalid credentials JSON on stdin'],
    ['no ServerURL', '{"Username":"u","Secret":"s"}', 'no credentials server URL'],
    ['no Username', '{"ServerURL":"h","Secret":"s"}', 'no credentials username'],
  ])('store with %s', async (_n, stdin, message) => {
    const r = await docker(['store'], stdin, env());
    expect(r).toMatchObject({ code: 1, stdout: `${message}\n` });
  });

  it('store onto a git slot is refused', async () => {
    const r = await docker(['store'], STORE, env({ '127.0.0.1:5000': 'gh' }));
    expect(r).toMatchObject({ code: 1 });
    expect(r.stdout).toMatch(/slot "gh" is a git slot/);
  });

  it('erase never touches the server', async () => {
    const { transport, requests } = server();
    const r = await docker(
      ['erase'],
      'https://127.0.0.1:5000',
      env({ '127.0.0.1:5000': 'local' }),
      transport,
    );
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(requests).toHaveLength(0);
  });

  it('list maps canonical addresses to usernames (mappings win)', async () => {
    const r = await docker(['list'], 'unused', env({ 'ghcr.io': 'ghcr-a' }));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      'https://index.docker.io/v1/': 'hubuser',
      '127.0.0.1:5000': 'alice',
      'ghcr.io': 'a',
      'quay.io': 'q',
    });
  });

  it('list on failure is {} with the reason on stderr', async () => {
    const r = await docker(['list'], 'unused', env(), server({ status: 500 }).transport);
    expect(r).toMatchObject({ code: 0, stdout: '{}\n' });
    expect(r.stderr).toMatch(/boom/);
  });

  it.each([[['version']], [['--version']], [['-v']]])('%j prints one line', async (argv) => {
    const r = await docker(argv, '', env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^docker-credential-dodil \(dodil\) \S+\n$/);
  });

  it.each([[[]], [['get', 'extra']], [['bogus']]])('%j: usage on stdout, exit 1', async (argv) => {
    const r = await docker(argv, '', env());
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^usage: docker-credential-dodil/);
  });

  it('works as `dodil credential docker`', async () => {
    const r = await runWith(['credential', 'docker', 'get'], {
      stdin: '127.0.0.1:5000',
      env: env(),
      transport: server().transport,
    });
    expect(JSON.parse(r.stdout)).toMatchObject({ Username: 'alice' });
  });

  it('hostile stdin on every action: exit 0 or 1, one stdout line at most, never an internal error', async () => {
    const e = env({ '127.0.0.1:5000': 'local' });
    const arb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.json({ maxDepth: 2 }),
      fc
        .record({
          ServerURL: fc.oneof(fc.string(), fc.constant('127.0.0.1:5000'), fc.integer()),
          Username: fc.oneof(fc.string(), fc.constant(null)),
          Secret: fc.oneof(fc.string(), fc.boolean()),
        })
        .map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('get', 'store', 'erase', 'list'), arb, async (action, stdin) => {
        const r = await docker([action], stdin, e);
        expect([0, 1]).toContain(r.code);
        expect(r.stdout.split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
        expect(r.stdout).not.toMatch(/internal error/);
        if (action !== 'get') expect(r.stdout).not.toMatch(/-pw/);
      }),
      { numRuns: 2500 },
    );
  });

  it('the config file stays untouched by every action', async () => {
    const e = env({ '127.0.0.1:5000': 'local' });
    const before = readFileSync(e.DODIL_CONFIG, 'utf8');
    for (const a of ['get', 'store', 'erase', 'list'])
      await docker([a], a === 'store' ? STORE : '127.0.0.1:5000', e);
    expect(readFileSync(e.DODIL_CONFIG, 'utf8')).toBe(before);
  });
});
