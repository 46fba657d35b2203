// A real `docker pull` through a real Docker daemon (Debian's docker.io), started and stopped by
// the test with its own data root, exec root and socket in a temp dir; the image comes from a
// local htpasswd registry, the credential from the dodil server through docker-credential-dodil
// (issue 17). For credsStore and credHelpers: pull, registry password change, failed pull, slot
// rotation, successful pull with no client change.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { registrySlotArgs, requireTools, sh, startProcess, stopProcess, waitFor, world } from './harness';
import { dockerConfig, layout, registryProcess, skopeo } from './registry-support';

beforeEach(() =>
  requireTools('dockerd', 'containerd', 'docker', 'docker-registry', 'htpasswd', 'skopeo', 'findmnt'),
);

/** Starts dockerd on `dir/docker.sock` (vfs, no bridge, no iptables); stops it, its containerd and its mounts when the test ends. */
async function startDockerd(dir: string): Promise<string> {
  const sock = join(dir, 'docker.sock');
  const execRoot = join(dir, 'exec');
  const { child, output } = startProcess(
    'dockerd',
    [
      '--storage-driver',
      'vfs',
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--data-root',
      join(dir, 'docker-data'),
      '--exec-root',
      execRoot,
      '-H',
      `unix://${sock}`,
      '--pidfile',
      join(dir, 'docker.pid'),
    ],
    { logFile: join(dir, 'dockerd.log') },
  );
  // Whichever of this and startProcess's own stop runs first: TERM with a bounded wait, then KILL,
  // then what a killed dockerd leaves behind (its containerd, the bind mount of its data root).
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    const containerdPid = join(execRoot, 'containerd', 'containerd.pid');
    if (existsSync(containerdPid)) {
      const pid = Number(readFileSync(containerdPid, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 1 && spawnSync('kill', ['-0', String(pid)]).status === 0)
        process.kill(pid, 'SIGKILL');
    }
    const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((m) => m.startsWith(dir));
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
  });
  await waitFor(
    'dockerd',
    () =>
      existsSync(sock) &&
      sh('docker', ['-H', `unix://${sock}`, 'version', '--format', '{{.Server.Version}}'], process.env, {
        timeoutMs: 5000,
      }).code === 0,
    600,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${output().slice(-2000)}`);
  });
  return `unix://${sock}`;
}

describe('docker pull through a real Docker daemon', { timeout: 300_000 }, () => {
  it.each(['credsStore', 'credHelpers'] as const)(
    '%s: pull, password change fails the pull, slot rotation fixes it with no client change',
    async (mode) => {
      const w = await world();
      const reg = await registryProcess(w.dir, 'pw-1');
      const host = reg.host;
      w.dodil(registrySlotArgs('reg', 'alice', host), 'pw-1');
      layout(w.dir);
      dockerConfig(w.env, { credHelpers: { [host]: 'dodil' } });
      expect(
        skopeo(w.dir, w.env, [
          'copy',
          '-q',
          '--dest-tls-verify=false',
          `oci:${join(w.dir, 'layout')}:1`,
          `docker://${host}/e2e/tiny:1`,
        ]).code,
      ).toBe(0);
      if (mode === 'credsStore') dockerConfig(w.env, { credsStore: 'dodil' });
      else expect(w.dodil(['setup', 'docker', host, '--slot', 'reg']).code).toBe(0);
      const configFile = join(w.env.DOCKER_CONFIG ?? '', 'config.json');
      const configBefore = readFileSync(configFile, 'utf8');

      const env = { ...w.env, DOCKER_HOST: await startDockerd(w.dir) };
      const pull = () => sh('docker', ['pull', '-q', `${host}/e2e/tiny:1`], env, { timeoutMs: 120_000 });
      const first = pull();
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(sh('docker', ['image', 'inspect', '--format', '{{.Id}}', `${host}/e2e/tiny:1`], env).code).toBe(
        0,
      );

      // the registry password changes: the slot's old value fails (the daemon asks the registry again)
      await stopProcess(reg.proc.child);
      // same port, new password; the harness stops it when the test ends
      await registryProcess(w.dir, 'pw-2', Number(host.split(':')[1]));
      const failed = pull();
      expect(failed.code).not.toBe(0);
      expect(failed.stderr).toMatch(/unauthorized|authentication required|no basic auth credentials/);

      // rotate the slot; nothing on the client changes
      expect(w.dodil(registrySlotArgs('reg', 'alice', host), 'pw-2').code).toBe(0);
      const again = pull();
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
      expect(readFileSync(configFile, 'utf8')).toBe(configBefore);
    },
  );
});
