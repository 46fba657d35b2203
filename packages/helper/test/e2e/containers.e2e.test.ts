// podman, buildah and skopeo beside each other against a real htpasswd registry, credentials from
// the real dodil server through docker-credential-dodil, configured only by `dodil setup docker`
// (issue 17): pull, push, login (rotates the slot), logout (keeps it), rotation with no client
// change, a "reboot" (the tmpfs auth file gone), as root and as a normal user (runuser).
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { registrySlotArgs, requireTools, sh, stopProcess, type Ran, world } from './harness';
import { layout, registryProcess, skopeo } from './registry-support';

beforeEach(() => requireTools('docker-registry', 'htpasswd', 'skopeo', 'podman', 'buildah', 'runuser'));

/** The container tools with private storage under `dir` (vfs: no mounts to clean up), run as `user` when given. */
function tools(dir: string, env: NodeJS.ProcessEnv, user?: string) {
  const store = [
    '--root',
    join(dir, 'storage'),
    '--runroot',
    join(dir, 'runroot'),
    '--storage-driver',
    'vfs',
  ];
  const run = (cmd: string, args: string[], input?: string): Ran => {
    if (user === undefined) return sh(cmd, args, env, { input, timeoutMs: 90_000 });
    const vars = Object.entries(env).filter(([k]) =>
      /^(PATH|HOME|XDG_RUNTIME_DIR|DODIL_[A-Z_]+|DOCKER_CONFIG)$/.test(k),
    );
    return sh(
      'runuser',
      ['-u', user, '--', 'env', '-i', ...vars.map(([k, v]) => `${k}=${v ?? ''}`), cmd, ...args],
      env,
      { input, timeoutMs: 90_000 },
    );
  };
  return {
    run,
    podman: (args: string[], input?: string) =>
      run(
        'podman',
        [
          ...store,
          '--tmpdir',
          join(dir, 'libpod'),
          '--events-backend',
          'none',
          '--cgroup-manager',
          'cgroupfs',
          ...args,
        ],
        input,
      ),
    buildah: (args: string[]) => run('buildah', [...store, ...args]),
  };
}

/** A registry for alice/<password>, restartable with a new password on the same port. */
async function restartableRegistry(dir: string, password: string) {
  let current = await registryProcess(dir, password);
  const port = Number(current.host.split(':')[1]);
  return {
    host: current.host,
    async changePassword(next: string) {
      await stopProcess(current.proc.child);
      current = await registryProcess(dir, next, port);
    },
  };
}

// Ends a rootless podman's pause process (it holds the user namespace) by the PID it recorded.
function stopPausePid(dir: string): void {
  const walk = (d: string): string[] =>
    existsSync(d)
      ? readdirSync(d, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? walk(join(d, e.name)) : e.name === 'pause.pid' ? [join(d, e.name)] : [],
        )
      : [];
  for (const file of walk(dir)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 1) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

describe('podman, buildah and skopeo through `dodil setup docker`', { timeout: 300_000 }, () => {
  it('as root: pull, push, podman login rotates, logout keeps the slot, rotation and a reboot need no client change', async () => {
    const w = await world();
    // The default set-up the issue describes: no DOCKER_CONFIG (with it set, podman uses
    // $DOCKER_CONFIG/config.json as its auth file and would see our credHelpers entry there).
    const runtimeDir = join(w.dir, 'run');
    const env: NodeJS.ProcessEnv = { ...w.env, XDG_RUNTIME_DIR: runtimeDir };
    delete env.DOCKER_CONFIG;
    mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
    const t = tools(w.dir, env);
    const reg = await restartableRegistry(w.dir, 'pw-1');
    const dodil = (args: string[], input?: string) => sh(join(w.bin, 'dodil'), args, env, { input });
    expect(dodil(registrySlotArgs('reg', 'alice', reg.host), 'pw-1').code).toBe(0);
    const setup = dodil(['setup', 'docker', reg.host, '--slot', 'reg']);
    expect(setup.code).toBe(0);

    // push with skopeo, then pull and push with podman and buildah: every one of them asks dodil
    layout(w.dir);
    const pushed = skopeo(w.dir, env, [
      'copy',
      '-q',
      '--dest-tls-verify=false',
      `oci:${join(w.dir, 'layout')}:1`,
      `docker://${reg.host}/e2e/tiny:1`,
    ]);
    expect(pushed.stderr).toBe('');
    const pull = t.podman(['pull', '-q', '--tls-verify=false', `${reg.host}/e2e/tiny:1`]);
    expect(pull.stderr).toBe('');
    expect(pull.code).toBe(0);
    expect(t.podman(['tag', `${reg.host}/e2e/tiny:1`, `${reg.host}/e2e/by-podman:1`]).code).toBe(0);
    expect(t.podman(['push', '-q', '--tls-verify=false', `${reg.host}/e2e/by-podman:1`]).code).toBe(0);
    expect(t.buildah(['pull', '-q', '--tls-verify=false', `${reg.host}/e2e/by-podman:1`]).code).toBe(0);
    expect(
      t.buildah([
        'push',
        '-q',
        '--tls-verify=false',
        `${reg.host}/e2e/by-podman:1`,
        `docker://${reg.host}/e2e/by-buildah:1`,
      ]).code,
    ).toBe(0);

    // the set-up 2: podman login after only `dodil setup docker` rotates the slot ...
    await reg.changePassword('pw-2');
    const login = t.podman(
      ['login', '--tls-verify=false', '-u', 'alice', '--password-stdin', reg.host],
      'pw-2\n',
    );
    expect(login.stdout).toContain('Login Succeeded');
    const slot = JSON.parse(dodil(['ignite', 'secret', 'get', 'reg', '-o', 'json']).stdout) as {
      value: unknown;
    };
    expect(slot.value).toEqual({
      registrySecret: { username: 'alice', password: 'pw-2', serverAddress: reg.host },
    });
    // ... and leaves no plain-text copy in the tmpfs auth file
    const runtimeAuth = join(runtimeDir, 'containers', 'auth.json');
    const stored = existsSync(runtimeAuth)
      ? (JSON.parse(readFileSync(runtimeAuth, 'utf8')) as { auths?: object })
      : {};
    expect(Object.keys(stored.auths ?? {})).toEqual([]);
    // buildah and skopeo login go through the same helper; no logout deletes the slot
    const buildahLogin = t.run(
      'buildah',
      ['login', '--tls-verify=false', '-u', 'alice', '--password-stdin', reg.host],
      'pw-2\n',
    );
    expect(buildahLogin.stderr).toContain('dodil: rotated registry slot "reg"');
    const skopeoLogin = t.run(
      'skopeo',
      ['login', '--tls-verify=false', '-u', 'alice', '--password-stdin', reg.host],
      'pw-2\n',
    );
    expect(skopeoLogin.stderr).toContain('dodil: rotated registry slot "reg"');
    for (const tool of [
      () => t.podman(['logout', reg.host]),
      () => t.run('buildah', ['logout', reg.host]),
      () => t.run('skopeo', ['logout', reg.host]),
    ]) {
      tool();
      expect(dodil(['ignite', 'secret', 'get', 'reg']).code).toBe(0);
    }

    // rotation: registry password and slot change, no client change
    await reg.changePassword('pw-3');
    expect(t.podman(['pull', '-q', '--tls-verify=false', `${reg.host}/e2e/by-buildah:1`]).code).not.toBe(0);
    dodil(registrySlotArgs('reg', 'alice', reg.host), 'pw-3');
    expect(t.podman(['pull', '-q', '--tls-verify=false', `${reg.host}/e2e/by-buildah:1`]).code).toBe(0);
    expect(t.buildah(['pull', '-q', '--tls-verify=false', `${reg.host}/e2e/tiny:1`]).code).toBe(0);
    expect(
      skopeo(w.dir, env, ['inspect', '--tls-verify=false', `docker://${reg.host}/e2e/by-podman:1`]).code,
    ).toBe(0);

    expect(setup.stdout).toContain('registries.conf.d/99-dodil.conf: credential-helpers');
    // "reboot": the tmpfs auth file is gone, the set-up is not
    rmSync(runtimeDir, { recursive: true, force: true });
    mkdirSync(runtimeDir, { mode: 0o700 });
    expect(t.podman(['pull', '-q', '--tls-verify=false', `${reg.host}/e2e/tiny:1`]).code).toBe(0);
    expect(dodil(['resolve', reg.host, '-o', 'json']).stdout).toContain('"shadows": []');
  });

  it('as a normal user (runuser -u nobody): setup, podman login rotates, rotation and a reboot need no client change', async () => {
    const w = await world();
    chmodSync(w.dir, 0o755);
    const user = 'nobody';
    const uid = Number(sh('id', ['-u', user], w.env).stdout.trim());
    const gid = Number(sh('id', ['-g', user], w.env).stdout.trim());
    const udir = join(w.dir, 'user');
    const home = join(udir, 'home');
    const run = join(udir, 'run');
    for (const d of [udir, home, run]) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      chownSync(d, uid, gid);
    }
    onTestFinished(() => stopPausePid(udir));
    const env: NodeJS.ProcessEnv = {
      PATH: w.env.PATH,
      HOME: home,
      XDG_RUNTIME_DIR: run,
      DODIL_URL: w.server.url,
      DODIL_TOKEN: w.server.devToken,
    };
    const t = tools(udir, env, user);
    const reg = await restartableRegistry(w.dir, 'pw-1');
    const root = (args: string[], input?: string) => sh(join(w.bin, 'dodil'), args, w.env, { input });
    root(registrySlotArgs('reg', 'alice', reg.host), 'pw-1');
    layout(w.dir);
    const seedEnv = { ...w.env, XDG_RUNTIME_DIR: join(w.dir, 'seed-run') };
    root(['setup', 'docker', reg.host, '--slot', 'reg']);
    expect(
      skopeo(w.dir, seedEnv, [
        'copy',
        '-q',
        '--dest-tls-verify=false',
        `oci:${join(w.dir, 'layout')}:1`,
        `docker://${reg.host}/e2e/tiny:1`,
      ]).code,
    ).toBe(0);

    // the user sets up their own account
    const setup = t.run(join(w.bin, 'dodil'), ['setup', 'docker', reg.host, '--slot', 'reg']);
    expect(setup.code).toBe(0);
    expect(readFileSync(join(home, '.config/containers/registries.conf.d/99-dodil.conf'), 'utf8')).toContain(
      'credential-helpers = ["dodil", "containers-auth.json"]',
    );
    const pull = t.podman(['pull', '-q', '--tls-verify=false', `${reg.host}/e2e/tiny:1`]);
    expect(pull.code).toBe(0);
    expect(t.run('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/e2e/tiny:1`]).code).toBe(
      0,
    );

    await reg.changePassword('pw-2');
    const login = t.podman(
      ['login', '--tls-verify=false', '-u', 'alice', '--password-stdin', reg.host],
      'pw-2\n',
    );
    expect(login.stdout).toContain('Login Succeeded');
    const slot = JSON.parse(root(['ignite', 'secret', 'get', 'reg', '-o', 'json']).stdout) as {
      value: { registrySecret: { password: unknown } };
    };
    expect(slot.value.registrySecret.password).toBe('pw-2');
    t.podman(['logout', reg.host]);
    expect(root(['ignite', 'secret', 'get', 'reg']).code).toBe(0);

    await reg.changePassword('pw-3');
    root(registrySlotArgs('reg', 'alice', reg.host), 'pw-3');
    rmSync(join(run, 'containers'), { recursive: true, force: true });
    expect(t.run('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/e2e/tiny:1`]).code).toBe(
      0,
    );
    expect(t.podman(['pull', '-q', '--tls-verify=false', `${reg.host}/e2e/tiny:1`]).code).toBe(0);
    writeFileSync(join(udir, 'done'), '');
  });
});
