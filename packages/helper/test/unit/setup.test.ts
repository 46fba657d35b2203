import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWith } from '../helpers';
import { slots, world } from './setup-world';

describe('dodil setup git', () => {
  it('writes the empty-helper reset before our entry, says what it replaced, is idempotent', async () => {
    const w = world();
    w.git('config', '--global', '--add', 'credential.helper', 'store');
    w.git('config', '--global', '--add', 'credential.https://git.example.com.helper', 'cache');
    const key = 'credential.https://git.example.com.helper';
    let r = await runWith(['setup', 'git', '--url', 'https://git.example.com', '--slot', 'gh'], {
      env: w.env,
      transport: slots,
    });
    expect(r).toEqual({
      code: 0,
      stdout:
        `git config --global ${key} = "" then "dodil --slot gh": added\n` +
        '  replaced for this URL: helper "store" (global credential.helper) is no longer asked\n' +
        `  replaced for this URL: helper "cache" (global ${key}) is no longer asked\n`,
      stderr: '',
    });
    // git's own view: only dodil is asked for the URL, store still serves every other URL
    expect(w.git('config', '--global', '--get-all', key)).toBe('cache\n\ndodil --slot gh\n');

    r = await runWith(['setup', 'git', '--url', 'https://git.example.com', '--slot', 'gh'], {
      env: w.env,
      transport: slots,
    });
    expect(r.stdout).toMatch(/^git config --global .*: unchanged\n$/);
    expect(w.git('config', '--global', '--get-all', key)).toBe('cache\n\ndodil --slot gh\n');

    r = await runWith(
      ['setup', 'git', '--url', 'https://git.example.com', '--slot', 'other', '--force', '-o', 'json'],
      { env: w.env, transport: slots },
    );
    expect(r.stderr).toBe(
      'dodil: warning: slot "other" does not exist; create it with: dodil ignite secret create other --type git --username USER --token-stdin\n',
    );
    expect(JSON.parse(r.stdout)).toEqual({
      key,
      value: 'dodil --slot other',
      reset: true,
      change: 'replaced',
      previous: ['dodil --slot gh'],
      skipped: [],
    });
    expect(w.git('config', '--global', '--get-all', key)).toBe('cache\n\ndodil --slot other\n');
  });

  it('upgrades a 0.1.0 entry (ours, without the reset) in place', async () => {
    const w = world();
    const key = 'credential.https://h.example.helper';
    w.git('config', '--global', '--add', 'credential.helper', 'store');
    w.git('config', '--global', '--add', key, 'dodil --slot gh');
    const r = await runWith(['setup', 'git', '--url', 'https://h.example', '--slot', 'gh'], {
      env: w.env,
      transport: slots,
    });
    expect(r.stdout).toMatch(/: replaced\n {2}replaced for this URL: helper "store"/);
    expect(w.git('config', '--global', '--get-all', key)).toBe('\ndodil --slot gh\n');
    // git's own answer: only dodil is asked for that URL
    expect(w.git('config', '--get-urlmatch', 'credential.helper', 'https://h.example/x.git')).toBe(
      'dodil --slot gh\n',
    );
  });

  it('refuses a missing slot or a registry slot unless --force (nothing written)', async () => {
    const w = world();
    let r = await runWith(['setup', 'git', '--url', 'https://h', '--slot', 'nope'], {
      env: w.env,
      transport: slots,
    });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      'dodil: slot "nope" does not exist; create it with: dodil ignite secret create nope --type git --username USER --token-stdin; ' +
        'nothing was changed (--force writes the entries anyway)\n',
    );
    r = await runWith(['setup', 'git', '--url', 'https://h', '--slot', 'reg'], {
      env: w.env,
      transport: slots,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /slot "reg" is a registry slot; git needs a git slot \(--type git\); nothing was changed/,
    );
    expect(() => w.git('config', '--global', '--get-all', 'credential.https://h.helper')).toThrow();
    r = await runWith(['setup', 'git', '--url', 'https://h', '--slot', 'reg', '--force'], {
      env: w.env,
      transport: slots,
    });
    expect(r.code).toBe(0);
    expect(w.git('config', '--global', '--get-all', 'credential.https://h.helper')).toBe(
      '\ndodil --slot reg\n',
    );
  });

  it('warns when git-credential-dodil is not on PATH', async () => {
    const w = world();
    const r = await runWith(['setup', 'git', '--url', 'https://h', '--slot', 'gh'], {
      env: { ...w.env, PATH: '/usr/bin:/bin' },
      transport: slots,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/git-credential-dodil is not on PATH/);
  });

  it.each([
    [['setup', 'git', '--slot', 'gh'], /^dodil: missing --url\nhint: /],
    [['setup', 'git', '--url', 'git.example.com', '--slot', 'gh'], /--url must be an http/],
    [['setup', 'git', '--url', 'https://h', '--slot', 'no way'], /invalid slot name/],
  ])('%j → 2', async (argv, message) => {
    const w = world();
    const r = await runWith(argv, { env: w.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('dodil setup docker', () => {
  it('writes credHelpers and the mapping, keeps the rest, is idempotent', async () => {
    const w = world();
    mkdirSync(w.env.DOCKER_CONFIG);
    const dockerFile = join(w.env.DOCKER_CONFIG, 'config.json');
    writeFileSync(
      dockerFile,
      JSON.stringify({
        auths: { 'x.io': { auth: 'abc' } },
        credsStore: 'desktop',
        credHelpers: { 'gcr.io': 'gcloud' },
      }),
    );
    chmodSync(dockerFile, 0o640);
    let r = await runWith(['setup', 'docker', 'https://GHCR.io/v2/', '--slot', 'reg'], {
      env: w.env,
      transport: slots,
    });
    expect(r.code).toBe(0);
    const dropIn = join(w.dir, '.config/containers/registries.conf.d/99-dodil.conf');
    expect(r.stdout).toBe(
      `${dockerFile}: credHelpers["ghcr.io"] = "dodil": added\n${w.env.DODIL_CONFIG}: mappings.docker["ghcr.io"] = "reg": added\n` +
        `${dropIn}: credential-helpers = "[\\"dodil\\", \\"containers-auth.json\\"]": added\n`,
    );
    expect(readFileSync(dropIn, 'utf8')).toMatch(
      /^credential-helpers = \["dodil", "containers-auth.json"\]$/m,
    );
    expect(JSON.parse(readFileSync(dockerFile, 'utf8'))).toEqual({
      auths: { 'x.io': { auth: 'abc' } },
      credsStore: 'desktop',
      credHelpers: { 'gcr.io': 'gcloud', 'ghcr.io': 'dodil' },
    });
    expect(statSync(dockerFile).mode & 0o777).toBe(0o640);
    expect(
      (JSON.parse(readFileSync(w.env.DODIL_CONFIG, 'utf8')) as { mappings: { docker: unknown } }).mappings
        .docker,
    ).toEqual({ 'ghcr.io': 'reg' });
    expect(statSync(w.env.DODIL_CONFIG).mode & 0o777).toBe(0o600);

    const before = readFileSync(dockerFile, 'utf8');
    r = await runWith(['setup', 'docker', 'ghcr.io', '--slot', 'reg'], { env: w.env, transport: slots });
    expect(r.stdout.match(/: unchanged/g)).toHaveLength(3);
    expect(readFileSync(dockerFile, 'utf8')).toBe(before);
  });

  it('Docker Hub gets both keys; a new config.json is 0600', async () => {
    const w = world();
    const r = await runWith(['setup', 'docker', 'docker.io', '--slot', 'hub', '-o', 'json'], {
      env: w.env,
      transport: slots,
    });
    expect(r.code).toBe(0);
    const dockerFile = join(w.env.DOCKER_CONFIG, 'config.json');
    expect((JSON.parse(readFileSync(dockerFile, 'utf8')) as { credHelpers: unknown }).credHelpers).toEqual({
      'https://index.docker.io/v1/': 'dodil',
      'docker.io': 'dodil',
    });
    expect(statSync(dockerFile).mode & 0o777).toBe(0o600);
    expect(
      (JSON.parse(r.stdout) as { changes: Array<{ change: string }> }).changes.map((c) => c.change),
    ).toEqual(['added', 'added', 'added', 'added']);
    expect(r.stderr).toMatch(
      /slot hub does not exist yet; create it with: dodil ignite secret create hub --type registry --username USER --password-stdin\n/,
    );
  });

  it('warns about stored logins for the registry in every auth file; --fix removes them after a backup', async () => {
    const w = world();
    // the default: no DOCKER_CONFIG (with it, podman takes $DOCKER_CONFIG/config.json as its auth file)
    const env = { ...w.env, DOCKER_CONFIG: undefined };
    const runtime = join(w.env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
    const persistent = join(w.dir, '.config', 'containers', 'auth.json');
    const dockerFile = join(w.dir, '.docker', 'config.json');
    mkdirSync(join(w.env.XDG_RUNTIME_DIR, 'containers'), { recursive: true });
    mkdirSync(join(w.dir, '.config', 'containers'), { recursive: true });
    mkdirSync(join(w.dir, '.docker'));
    // what `podman login` and `docker login` (without a helper) leave behind
    const runtimeText = JSON.stringify({
      auths: { 'ghcr.io': { auth: 'YWxpY2U6cHc=' }, 'quay.io': { auth: 'eDp5' } },
    });
    writeFileSync(runtime, runtimeText, { mode: 0o600 });
    writeFileSync(persistent, JSON.stringify({ auths: { 'ghcr.io/acme': { auth: 'YWxpY2U6cHc=' } } }));
    writeFileSync(dockerFile, JSON.stringify({ auths: { 'https://ghcr.io': { auth: 'YWxpY2U6cHc=' } } }));
    let r = await runWith(['setup', 'docker', 'ghcr.io', '--slot', 'reg'], { env, transport: slots });
    expect(r.code).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('holds a stored login'));
    expect(warnings).toEqual([
      `dodil: warning: ${runtime} holds a stored login auths["ghcr.io"] (read by podman, buildah, skopeo (podman login writes here)); it goes stale after a rotation: remove it with: dodil setup docker ghcr.io --slot reg --fix`,
      `dodil: warning: ${persistent} holds a stored login auths["ghcr.io/acme"] (read by podman, buildah, skopeo); it goes stale after a rotation: remove it with: dodil setup docker ghcr.io --slot reg --fix`,
      `dodil: warning: ${dockerFile} holds a stored login auths["https://ghcr.io"] (read by docker, podman, buildah, skopeo); it goes stale after a rotation: remove it with: dodil setup docker ghcr.io --slot reg --fix`,
    ]);
    expect(readFileSync(runtime, 'utf8')).toBe(runtimeText);
    expect(r.stderr + r.stdout).not.toContain('YWxpY2U6cHc=');

    r = await runWith(['setup', 'docker', 'ghcr.io', '--slot', 'reg', '--fix', '-o', 'json'], {
      env,
      transport: slots,
    });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { storedLogins: unknown[]; backups: string[] };
    expect(out.storedLogins).toHaveLength(3);
    expect(out.backups).toHaveLength(3);
    expect(JSON.parse(readFileSync(runtime, 'utf8'))).toEqual({ auths: { 'quay.io': { auth: 'eDp5' } } });
    expect(JSON.parse(readFileSync(persistent, 'utf8'))).toEqual({ auths: {} });
    expect((JSON.parse(readFileSync(dockerFile, 'utf8')) as { auths: unknown }).auths).toEqual({});
    // the backup is the file as it was, private
    const runtimeBackup = out.backups.find((b) => b.startsWith(`${runtime}.dodil-backup-`)) ?? '';
    expect(readFileSync(runtimeBackup, 'utf8')).toBe(runtimeText);
    expect(statSync(runtimeBackup).mode & 0o777).toBe(0o600);
    r = await runWith(['setup', 'docker', 'ghcr.io', '--slot', 'reg'], { env, transport: slots });
    expect(r.stderr).not.toMatch(/stored login/);
  });

  it('remapping a registry replaces other spellings of it', async () => {
    const w = world();
    writeFileSync(
      w.env.DODIL_CONFIG,
      JSON.stringify({ mappings: { docker: { 'https://quay.io': 'old', 'ghcr.io': 'keep' } } }),
    );
    const r = await runWith(['setup', 'docker', 'quay.io:443', '--slot', 'q1'], {
      env: w.env,
      transport: slots,
    });
    expect(r.stdout).toMatch(/mappings.docker\["quay.io"\] = "q1": changed/);
    expect(
      (JSON.parse(readFileSync(w.env.DODIL_CONFIG, 'utf8')) as { mappings: { docker: unknown } }).mappings
        .docker,
    ).toEqual({ 'ghcr.io': 'keep', 'quay.io': 'q1' });
  });

  it('warns about a git slot', async () => {
    const w = world();
    const r = await runWith(['setup', 'docker', 'ghcr.io', '--slot', 'gh'], { env: w.env, transport: slots });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/slot gh is a git slot/);
  });

  it('refuses to touch a broken docker config (exit 1, file unchanged)', async () => {
    const w = world();
    mkdirSync(w.env.DOCKER_CONFIG);
    writeFileSync(join(w.env.DOCKER_CONFIG, 'config.json'), '{broken');
    const r = await runWith(['setup', 'docker', 'ghcr.io', '--slot', 'reg'], {
      env: w.env,
      transport: slots,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not valid JSON; fix it first/);
    expect(readFileSync(join(w.env.DOCKER_CONFIG, 'config.json'), 'utf8')).toBe('{broken');
  });

  it.each([
    [['setup', 'docker', '--slot', 'x'], /^dodil: missing REGISTRY\nhint: /],
    [['setup', 'docker', 'user@host', '--slot', 'x'], /is not a registry host/],
  ])('%j → 2', async (argv, message) => {
    const r = await runWith(argv, { env: world().env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
