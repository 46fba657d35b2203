// Real OCI clients (skopeo, the daemon-less docker CLI) against a real distribution registry with
// htpasswd auth, credentials from the real dodil server through docker-credential-dodil.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { registrySlotArgs, requireTools, sh, world } from './harness';
import { dockerConfig, layout, registry, skopeo } from './registry-support';

// In beforeEach, not beforeAll: a missing tool fails every test instead of skipping it.
beforeEach(() => requireTools('docker-registry', 'htpasswd', 'skopeo', 'docker'));

const NOT_FOUND = 'credentials not found in native keychain';

// Generous: each test starts real servers, and CI shares two cores with the unit tests.
describe('registry clients through docker-credential-dodil', { timeout: 120_000 }, () => {
  it('skopeo push and inspect through credHelpers written by `dodil setup docker`', async () => {
    const w = await world();
    const reg = await registry(w.dir, 'reg-pw');
    const digest = layout(w.dir);
    expect(w.dodil(registrySlotArgs('reg', 'alice', reg), 'reg-pw').code).toBe(0);
    const setup = w.dodil(['setup', 'docker', reg, '--slot', 'reg']);
    expect(setup.code).toBe(0);
    expect(JSON.parse(readFileSync(join(w.env.DOCKER_CONFIG ?? '', 'config.json'), 'utf8'))).toEqual({
      credHelpers: { [reg]: 'dodil' },
    });

    const push = skopeo(w.dir, w.env, [
      'copy',
      '-q',
      '--dest-tls-verify=false',
      `oci:${join(w.dir, 'layout')}:1`,
      `docker://${reg}/e2e/tiny:1`,
    ]);
    expect(push.stderr).toBe('');
    expect(push.code).toBe(0);
    const inspect = skopeo(w.dir, w.env, ['inspect', '--tls-verify=false', `docker://${reg}/e2e/tiny:1`]);
    expect(inspect.code).toBe(0);
    expect((JSON.parse(inspect.stdout) as { Digest: unknown }).Digest).toBe(digest);

    const list = sh('docker-credential-dodil', ['list'], w.env, { input: 'unused' });
    expect(JSON.parse(list.stdout)).toEqual({ [reg]: 'alice' });
  });

  it('docker manifest inspect --insecure through credsStore: dodil (server-address match, no mapping)', async () => {
    const w = await world();
    const reg = await registry(w.dir, 'reg-pw');
    layout(w.dir);
    w.dodil(registrySlotArgs('reg', 'alice', `http://${reg}/`), 'reg-pw');
    dockerConfig(w.env, { credHelpers: { [reg]: 'dodil' } });
    expect(
      skopeo(w.dir, w.env, [
        'copy',
        '-q',
        '--dest-tls-verify=false',
        `oci:${join(w.dir, 'layout')}:1`,
        `docker://${reg}/e2e/tiny:1`,
      ]).code,
    ).toBe(0);

    dockerConfig(w.env, { credsStore: 'dodil' });
    const manifest = sh('docker', ['manifest', 'inspect', '--insecure', `${reg}/e2e/tiny:1`], w.env);
    expect(manifest.stderr).toBe('');
    expect((JSON.parse(manifest.stdout) as { schemaVersion: unknown }).schemaVersion).toBe(2);
  });

  it('docker login -u … --password-stdin rotates the mapped slot, keeping its server address', async () => {
    const w = await world();
    const reg = await registry(w.dir, 'new-pw');
    w.dodil(registrySlotArgs('reg', 'alice', reg), 'old-pw');
    w.dodil(['setup', 'docker', reg, '--slot', 'reg']);
    dockerConfig(w.env, { credsStore: 'dodil' });
    const login = sh('docker', ['login', reg, '-u', 'alice', '--password-stdin'], w.env, {
      input: 'new-pw\n',
    });
    expect(login.stdout).toContain('Login Succeeded');
    expect(login.stderr).toContain(`dodil: rotated registry slot "reg" for ${reg}`);
    const slot = JSON.parse(w.dodil(['ignite', 'secret', 'get', 'reg', '-o', 'json']).stdout) as {
      value: unknown;
      metadata: { createdAtMs: string; updatedAtMs: string };
    };
    expect(slot.value).toEqual({
      registrySecret: { username: 'alice', password: 'new-pw', serverAddress: reg },
    });
    expect(Number(slot.metadata.updatedAtMs)).toBeGreaterThan(Number(slot.metadata.createdAtMs) - 1);

    // logout never deletes the slot
    expect(sh('docker', ['logout', reg], w.env).code).toBe(0);
    expect(w.dodil(['ignite', 'secret', 'get', 'reg']).code).toBe(0);
  });

  it('docker login for an unmapped registry fails and says how to create the slot', async () => {
    const w = await world();
    const reg = await registry(w.dir, 'pw');
    dockerConfig(w.env, { credsStore: 'dodil' });
    const login = sh('docker', ['login', reg, '-u', 'alice', '--password-stdin'], w.env, { input: 'pw\n' });
    expect(login.code).not.toBe(0);
    expect(login.stderr).toContain(
      `no dodil slot is mapped to ${reg}; create one with: dodil ignite secret create NAME --type registry`,
    );
    expect(login.stderr).toContain(`&& dodil setup docker ${reg} --slot NAME`);
  });

  it('no slot for the registry: not found, and anonymous pulls keep working', async () => {
    const w = await world();
    const reg = await registry(w.dir, undefined);
    const digest = layout(w.dir);
    dockerConfig(w.env, { credHelpers: { [reg]: 'dodil' } });
    const get = sh('docker-credential-dodil', ['get'], w.env, { input: reg });
    expect(get).toMatchObject({ code: 1, stdout: `${NOT_FOUND}\n` });
    expect(
      skopeo(w.dir, w.env, [
        'copy',
        '-q',
        '--dest-tls-verify=false',
        `oci:${join(w.dir, 'layout')}:1`,
        `docker://${reg}/pub/tiny:1`,
      ]).code,
    ).toBe(0);
    const inspect = skopeo(w.dir, w.env, ['inspect', '--tls-verify=false', `docker://${reg}/pub/tiny:1`]);
    expect(inspect.code).toBe(0);
    expect((JSON.parse(inspect.stdout) as { Digest: unknown }).Digest).toBe(digest);
    dockerConfig(w.env, { credsStore: 'dodil' });
    expect(sh('docker', ['manifest', 'inspect', '--insecure', `${reg}/pub/tiny:1`], w.env).code).toBe(0);
  });

  it('no slot for an auth registry: skopeo gets a plain 401, not a helper error', async () => {
    const w = await world();
    const reg = await registry(w.dir, 'pw');
    dockerConfig(w.env, { credHelpers: { [reg]: 'dodil' } });
    const inspect = skopeo(w.dir, w.env, ['inspect', '--tls-verify=false', `docker://${reg}/e2e/tiny:1`]);
    expect(inspect.code).not.toBe(0);
    expect(inspect.stderr).toContain('authentication required');
    expect(inspect.stderr).not.toContain('error getting credentials');
  });

  it('several matching slots: skopeo fails with a message naming them', async () => {
    const w = await world();
    const reg = await registry(w.dir, 'pw');
    for (const name of ['reg-a', 'reg-b']) {
      w.dodil(registrySlotArgs(name, 'alice', reg), 'pw');
    }
    dockerConfig(w.env, { credHelpers: { [reg]: 'dodil' } });
    const inspect = skopeo(w.dir, w.env, ['inspect', '--tls-verify=false', `docker://${reg}/e2e/tiny:1`]);
    expect(inspect.code).not.toBe(0);
    expect(inspect.stderr).toContain(
      `several registry slots match ${reg}: reg-a, reg-b; choose one with: dodil setup docker ${reg} --slot NAME`,
    );
  });

  it('every Docker Hub spelling resolves to the Hub slot (empty server address)', async () => {
    const w = await world();
    w.dodil(
      [
        'ignite',
        'secret',
        'create',
        'hub',
        '--type',
        'registry',
        '--username',
        'hubuser',
        '--password-stdin',
      ],
      'hub-pw',
    );
    w.dodil(registrySlotArgs('other', 'o', 'quay.io'), 'o-pw');
    for (const spelling of [
      'https://index.docker.io/v1/',
      'docker.io',
      'index.docker.io',
      'registry-1.docker.io',
      'https://registry-1.docker.io/v2/',
      'DOCKER.IO',
    ]) {
      const r = sh('docker-credential-dodil', ['get'], w.env, { input: spelling });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ ServerURL: spelling, Username: 'hubuser', Secret: 'hub-pw' });
    }
    // `dodil setup docker docker.io` writes both keys the clients look up
    w.dodil(['setup', 'docker', 'docker.io', '--slot', 'hub']);
    expect(
      (
        JSON.parse(readFileSync(join(w.env.DOCKER_CONFIG ?? '', 'config.json'), 'utf8')) as {
          credHelpers: unknown;
        }
      ).credHelpers,
    ).toEqual({
      'https://index.docker.io/v1/': 'dodil',
      'docker.io': 'dodil',
    });
    expect(JSON.parse(sh('docker-credential-dodil', ['list'], w.env, { input: 'unused' }).stdout)).toEqual({
      'https://index.docker.io/v1/': 'hubuser',
      'quay.io': 'o',
    });
  });

  it('the docker CLI asks the helper for Docker Hub as https://index.docker.io/v1/ (empty network namespace)', async () => {
    if (sh('unshare', ['-n', 'true'], process.env).code !== 0)
      throw new Error('unshare -n is needed (root or user namespaces)');
    const w = await world();
    w.dodil(
      [
        'ignite',
        'secret',
        'create',
        'hub',
        '--type',
        'registry',
        '--username',
        'hubuser',
        '--password-stdin',
      ],
      'hub-pw',
    );
    // a wrapper that logs what the docker CLI sends, then runs the real helper
    const log = join(w.dir, 'helper.log');
    const wrapper = join(w.bin, 'docker-credential-dodillog');
    writeFileSync(
      wrapper,
      `#!/bin/sh\ninput=$(cat)\nprintf '%s %s\\n' "$1" "$input" >>${log}\nprintf '%s' "$input" | docker-credential-dodil "$@"\n`,
      { mode: 0o755 },
    );
    dockerConfig(w.env, { credsStore: 'dodillog' });
    // the pull fails (no network, no daemon) after the helper answered
    sh('unshare', ['-n', 'timeout', '20', 'docker', 'pull', 'alpine'], w.env);
    expect(readFileSync(log, 'utf8')).toContain('get https://index.docker.io/v1/');
  });
});
