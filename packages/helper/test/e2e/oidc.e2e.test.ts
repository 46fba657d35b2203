// A simulated CI job: no DODIL_TOKEN, only DODIL_ORG and a way to get the job's OIDC JWT. The
// helper exchanges it at the real server (trust created with the real admin command) and real
// clients (git, docker) get their credentials through it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  fixtures,
  registrySlotArgs,
  requireTools,
  sh,
  startProcess,
  statusOf,
  waitFor,
  world,
} from './harness';
import type { Ran } from './harness';
import { dockerConfig, layout, registry } from './registry-support';

beforeEach(() => requireTools('git', 'node', 'docker-registry', 'htpasswd', 'skopeo', 'docker'));

const ISSUER = 'https://ci.example.test';

/** The CI's identity provider: one key, its public half as a JWKS file for `trust create --jwks-file`. */
async function idp(dir: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(
    jwksFile,
    JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'ci-1', alg: 'ES256' }] }),
  );
  let n = 0;
  const sign = (claims: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sub: 'repo:acme/app:ref:refs/heads/main',
      repository: 'acme/app',
      aud: 'dodil',
      jti: `job-${++n}-${now}`,
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'ci-1' })
      .setIssuer(ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
  };
  return { jwksFile, sign };
}

/** Runs a command without blocking this process (an in-test HTTP server must keep answering). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** A bare repo with one commit behind git-http-server.cjs (Basic auth alice/<password>). */
async function gitServer(dir: string, password: string) {
  const srv = join(dir, 'srv');
  mkdirSync(srv, { recursive: true });
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: dir };
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', join(srv, 'repo.git')], { env });
  const seed = join(dir, 'seed');
  execFileSync('git', ['init', '-q', '-b', 'main', seed], { env });
  writeFileSync(join(seed, 'README'), 'hello\n');
  execFileSync('git', ['-C', seed, 'add', 'README'], { env });
  execFileSync(
    'git',
    ['-C', seed, '-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', 'commit', '-qm', 'init'],
    { env },
  );
  execFileSync('git', ['-C', seed, 'push', '-q', join(srv, 'repo.git'), 'main'], { env });
  const portFile = join(dir, 'git-port');
  startProcess(
    process.execPath,
    [
      join(fixtures, 'git-http-server.cjs'),
      '--root',
      srv,
      '--user',
      'alice',
      '--pass',
      password,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--port-file',
      portFile,
      '--log',
      join(dir, 'git-server.log'),
    ],
    { logFile: join(dir, 'git-server.out') },
  );
  await waitFor('the git server', () => existsSync(portFile) && readFileSync(portFile, 'utf8') !== '');
  const base = `http://127.0.0.1:${Number(readFileSync(portFile, 'utf8'))}`;
  await waitFor(
    'git server 401',
    async () => (await statusOf(`${base}/repo.git/info/refs?service=git-upload-pack`)) === 401,
  );
  return { base, url: `${base}/repo.git` };
}

/** A job's environment: the world's client env without DODIL_TOKEN, plus what the CI gives. */
function jobEnv(base: NodeJS.ProcessEnv, dir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    DODIL_ORG: 'default',
    RUNNER_TEMP: join(dir, 'runner-temp'),
    ...extra,
  };
  delete env.DODIL_TOKEN;
  mkdirSync(env.RUNNER_TEMP ?? '', { recursive: true });
  return env;
}

function exchanges(server: { admin(args: string[]): string }): number {
  const entries = JSON.parse(server.admin(['audit', 'list', '--org', 'default', '-o', 'json'])) as {
    action: string;
    code: string;
  }[];
  return entries.filter((e) => e.action === 'TokenExchange' && e.code === 'OK').length;
}

describe('a CI job with only DODIL_ORG and an OIDC token', { timeout: 180_000 }, () => {
  it('git clone through the helper with DODIL_OIDC_TOKEN_FILE; cached 0600; re-read after a revoke (401)', async () => {
    const w = await world();
    const git = await gitServer(w.dir, 'tok-1');
    const ci = await idp(w.dir);
    expect(
      w.dodil(
        ['ignite', 'secret', 'create', 'gh-clone', '--type', 'git', '--username', 'alice', '--token-stdin'],
        'tok-1',
      ).code,
    ).toBe(0);
    w.server.admin([
      'trust',
      'create',
      '--org',
      'default',
      '--name',
      'ci',
      '--issuer',
      ISSUER,
      '--jwks-file',
      ci.jwksFile,
      '--audience',
      'dodil',
      '--claim',
      'repository=acme/*',
      '--scopes',
      'GetSecret',
      '--slots',
      'gh-*',
    ]);
    const tokenFile = join(w.dir, 'oidc-token');
    writeFileSync(tokenFile, await ci.sign());
    const env = jobEnv(w.env, w.dir, { DODIL_OIDC_TOKEN_FILE: tokenFile });
    expect(
      sh('git', ['config', '--global', `credential.${git.base}.helper`, 'dodil --slot gh-clone'], env).code,
    ).toBe(0);

    const clone = sh('git', ['clone', '-q', git.url, join(w.dir, 'c1')], env);
    expect(clone.stderr).toBe('');
    expect(clone.code).toBe(0);
    expect(readFileSync(join(w.dir, 'c1', 'README'), 'utf8')).toBe('hello\n');

    const cacheDir = join(env.RUNNER_TEMP ?? '', 'dodil-oidc');
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    const cached = readdirSync(cacheDir).filter((f) => f.endsWith('.json'));
    expect(cached.length).toBe(1);
    expect(statSync(join(cacheDir, cached[0] ?? '')).mode & 0o777).toBe(0o600);
    // A second clone uses the cached token: no second exchange (the jti is single-use anyway).
    expect(sh('git', ['clone', '-q', git.url, join(w.dir, 'c2')], env).code).toBe(0);
    expect(exchanges(w.server)).toBe(1);

    // The operator revokes the minted token: the helper gets a 401, drops the cache, re-reads the
    // (rotated) token file and exchanges again.
    const minted = (JSON.parse(readFileSync(join(cacheDir, cached[0] ?? ''), 'utf8')) as { token: string })
      .token;
    w.server.admin(['token', 'revoke', minted.split('_')[1] ?? '']);
    writeFileSync(tokenFile, await ci.sign());
    const again = sh('git', ['clone', '-q', git.url, join(w.dir, 'c3')], env);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(exchanges(w.server)).toBe(2);

    // Grants hold: the exchanged token (slots gh-*) cannot read another slot.
    w.dodil(['ignite', 'secret', 'create', 'npm', '--type', 'git', '--username', 'u', '--token-stdin'], 'x');
    expect(sh(join(w.bin, 'dodil'), ['ignite', 'secret', 'get', 'npm'], env).code).toBe(4);
  });

  it('parallel helpers in one job exchange once', async () => {
    const w = await world();
    const ci = await idp(w.dir);
    w.dodil(
      ['ignite', 'secret', 'create', 'gh-clone', '--type', 'git', '--username', 'alice', '--token-stdin'],
      'tok-1',
    );
    w.server.admin([
      'trust',
      'create',
      '--org',
      'default',
      '--name',
      'ci',
      '--issuer',
      ISSUER,
      '--jwks-file',
      ci.jwksFile,
      '--audience',
      'dodil',
      '--scopes',
      'GetSecret',
      '--allow-reexchange',
    ]);
    const tokenFile = join(w.dir, 'oidc-token');
    writeFileSync(tokenFile, await ci.sign());
    const env = jobEnv(w.env, w.dir, { DODIL_OIDC_TOKEN_FILE: tokenFile });
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        run(join(w.bin, 'dodil'), ['ignite', 'secret', 'get', 'gh-clone', '-o', 'json'], env),
      ),
    );
    for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(exchanges(w.server)).toBe(1);
  });

  it('registry credentials through credHelpers, with the GitHub Actions token endpoint flow', async () => {
    const w = await world();
    const ci = await idp(w.dir);
    // A distribution registry with htpasswd auth (alice/reg-pw) and the one-layer image to push.
    const reg = await registry(w.dir, 'reg-pw');
    layout(w.dir);
    w.dodil(registrySlotArgs('ghcr-pull', 'alice', reg), 'reg-pw');
    writeFileSync(join(w.dir, 'policy.json'), '{"default":[{"type":"insecureAcceptAnything"}]}');
    writeFileSync(join(w.dir, 'registries.conf'), '');
    dockerConfig(w.env, { credHelpers: { [reg]: 'dodil' } });
    const push = sh(
      'skopeo',
      [
        '--policy',
        join(w.dir, 'policy.json'),
        '--registries-conf',
        join(w.dir, 'registries.conf'),
        'copy',
        '-q',
        '--dest-tls-verify=false',
        `oci:${join(w.dir, 'layout')}:1`,
        `docker://${reg}/e2e/tiny:1`,
      ],
      w.env,
    );
    expect(push.code).toBe(0);

    w.server.admin([
      'trust',
      'create',
      '--org',
      'default',
      '--name',
      'gha',
      '--issuer',
      ISSUER,
      '--jwks-file',
      ci.jwksFile,
      '--audience',
      'dodil-e2e',
      '--claim',
      'repository=acme/*',
      '--scopes',
      'GetSecret',
      '--slots',
      'ghcr-pull',
    ]);
    // A stand-in for GitHub's token endpoint: checks the request token, answers a JWT for the audience asked.
    const seen: string[] = [];
    const endpoint = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(url.searchParams.get('audience') ?? '');
      if (req.headers.authorization !== 'bearer gha-request-token') {
        res.writeHead(401).end();
        return;
      }
      void ci.sign({ aud: url.searchParams.get('audience') ?? '' }).then((value) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value }));
      });
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => endpoint.close(() => r())));
    const { port: endpointPort } = endpoint.address() as AddressInfo;
    const env = jobEnv(w.env, w.dir, {
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${endpointPort}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'gha-request-token',
      DODIL_OIDC_AUDIENCE: 'dodil-e2e',
    });
    // The credential helper itself, as credHelpers makes skopeo and podman call it…
    const direct = await run(join(w.bin, 'docker-credential-dodil'), ['get'], env, reg);
    expect(direct.stderr).toBe('');
    expect(JSON.parse(direct.stdout)).toEqual({ ServerURL: reg, Username: 'alice', Secret: 'reg-pw' });
    // …and real OCI clients through credHelpers: skopeo, then the docker CLI (a cached token: one exchange).
    const inspect = await run(
      'skopeo',
      [
        '--policy',
        join(w.dir, 'policy.json'),
        '--registries-conf',
        join(w.dir, 'registries.conf'),
        'inspect',
        '--tls-verify=false',
        `docker://${reg}/e2e/tiny:1`,
      ],
      env,
    );
    expect(inspect.stderr).toBe('');
    expect(inspect.code).toBe(0);
    expect((JSON.parse(inspect.stdout) as { Name: unknown }).Name).toBe(`${reg}/e2e/tiny`);
    const manifest = await run('docker', ['manifest', 'inspect', '--insecure', `${reg}/e2e/tiny:1`], env);
    expect(manifest.stderr).toBe('');
    expect((JSON.parse(manifest.stdout) as { schemaVersion: unknown }).schemaVersion).toBe(2);
    expect(seen[0]).toBe('dodil-e2e');
    expect(exchanges(w.server)).toBe(1);
  });
});
