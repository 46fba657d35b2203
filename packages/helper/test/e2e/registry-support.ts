// Shared by the registry e2e suites: a real distribution registry with htpasswd auth, skopeo with
// a private policy, a reproducible OCI layout, and a docker config writer.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, freePort, sh, startProcess, statusOf, waitFor, type Started } from './harness';

/** A distribution registry on 127.0.0.1 with htpasswd auth for alice/<password> (or no auth). */
export async function registry(
  dir: string,
  password: string | undefined,
  fixedPort?: number,
): Promise<string> {
  return (await registryProcess(dir, password, fixedPort)).host;
}

/** {@link registry}, with the process (to restart it with another password on the same port). */
export async function registryProcess(
  dir: string,
  password: string | undefined,
  fixedPort?: number,
): Promise<{ host: string; proc: Started }> {
  const port = fixedPort ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const auth =
    password === undefined
      ? ''
      : `auth:\n  htpasswd:\n    realm: e2e-registry\n    path: ${join(dir, 'htpasswd')}\n`;
  if (password !== undefined)
    writeFileSync(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', 'alice', password]));
  writeFileSync(
    join(dir, 'registry.yml'),
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'registry-data')}\nhttp:\n  addr: ${host}\n  secret: e2e-only-not-a-secret\n${auth}`,
  );
  const proc = startProcess('docker-registry', ['serve', join(dir, 'registry.yml')], {
    logFile: join(dir, 'registry.log'),
  });
  const want = password === undefined ? 200 : 401;
  await waitFor(`registry on ${host}`, async () => (await statusOf(`http://${host}/v2/`)) === want);
  return { host, proc };
}

/** skopeo with an accept-anything policy and an empty registries.conf. */
export function skopeo(dir: string, env: NodeJS.ProcessEnv, args: string[]) {
  writeFileSync(join(dir, 'policy.json'), '{"default":[{"type":"insecureAcceptAnything"}]}');
  writeFileSync(join(dir, 'registries.conf'), '');
  return sh(
    'skopeo',
    ['--policy', join(dir, 'policy.json'), '--registries-conf', join(dir, 'registries.conf'), ...args],
    env,
  );
}

/** Builds the one-layer OCI layout in `dir/layout`; returns its manifest digest. */
export function layout(dir: string): string {
  return execFileSync('bash', [join(fixtures, 'make-oci-layout.sh'), join(dir, 'layout'), '1'], {
    encoding: 'utf8',
  }).trim();
}

/** Writes `$DOCKER_CONFIG/config.json`. */
export function dockerConfig(env: NodeJS.ProcessEnv, config: unknown) {
  const dir = env.DOCKER_CONFIG ?? '';
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
}
