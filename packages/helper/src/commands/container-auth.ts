import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { normaliseRegistryHost } from '@dodil/shared';
import { CliError } from '../errors';
import { fileMode, writeFileAtomic } from '../fs-util';

type Env = Readonly<Record<string, string | undefined>>;

/** One file a registry client may take a credential from, in the order the containers tools read them. */
export interface AuthFile {
  path: string;
  /** Who reads it, for messages. */
  readers: string;
  /** `.dockercfg` has the auths at the top level. */
  legacy?: boolean;
}

/** The docker config file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: Env): string {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json');
  if (!env.HOME)
    throw new CliError('FAILED_PRECONDITION', 'cannot locate the docker config: set HOME or DOCKER_CONFIG');
  return join(env.HOME, '.docker', 'config.json');
}

/**
 * Every auth file, as containers-auth.json(5) orders them: the primary file
 * (`$REGISTRY_AUTH_FILE`; else `$DOCKER_CONFIG/config.json` when set, which
 * podman and buildah take as their auth file; else the tmpfs
 * `$XDG_RUNTIME_DIR/containers/auth.json` or `/run/containers/<uid>/auth.json`,
 * gone after a reboot), the tmpfs file, the persistent
 * `$XDG_CONFIG_HOME/containers/auth.json`, the docker config, and the legacy
 * `~/.dockercfg`. Duplicates are listed once.
 */
export function authFiles(env: Env): AuthFile[] {
  const home = env.HOME ?? '';
  const tools = 'podman, buildah, skopeo';
  const runtime = env.XDG_RUNTIME_DIR
    ? join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json')
    : join('/run/containers', String(userInfo().uid), 'auth.json');
  const docker = env.DOCKER_CONFIG || home !== '' ? dockerConfigPath(env) : undefined;
  const primary = env.REGISTRY_AUTH_FILE || (env.DOCKER_CONFIG ? docker : undefined) || runtime;
  const files: AuthFile[] = [
    { path: primary, readers: `${primary === docker ? 'docker, ' : ''}${tools} (podman login writes here)` },
  ];
  files.push({ path: runtime, readers: tools });
  if (home !== '' || env.XDG_CONFIG_HOME) {
    files.push({
      path: join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'containers', 'auth.json'),
      readers: tools,
    });
  }
  if (docker !== undefined) files.push({ path: docker, readers: `docker, ${tools}` });
  if (home !== '') files.push({ path: join(home, '.dockercfg'), readers: `${tools} (legacy)`, legacy: true });
  return files.filter((f, i) => files.findIndex((g) => g.path === f.path) === i);
}

/** A JSON object from a file, `{}` when it does not exist; undefined when it is not a JSON object. */
export function readJsonObject(path: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  if (text.trim() === '') return {};
  try {
    const data: unknown = JSON.parse(text);
    return typeof data === 'object' && data !== null && !Array.isArray(data)
      ? (data as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function authsOf(file: AuthFile, data: Record<string, unknown>): Record<string, unknown> {
  const auths = file.legacy ? data : data.auths;
  return typeof auths === 'object' && auths !== null && !Array.isArray(auths)
    ? (auths as Record<string, unknown>)
    : {};
}

/** An `auths` entry for a registry: a stored login that can shadow the slot or go stale after a rotation. */
export interface AuthsEntry {
  file: AuthFile;
  /** The entry's key as written (`127.0.0.1:5055`, `https://index.docker.io/v1/`, `quay.io/ns`). */
  key: string;
}

/** Every `auths` entry for the registry `key` (normalised) in every auth file; namespaced keys count. */
export function authsEntriesFor(env: Env, key: string): AuthsEntry[] {
  const out: AuthsEntry[] = [];
  for (const file of authFiles(env)) {
    const data = readJsonObject(file.path);
    if (!data) continue;
    for (const k of Object.keys(authsOf(file, data))) {
      if (normaliseRegistryHost(k) === key) out.push({ file, key: k });
    }
  }
  return out;
}

/**
 * Removes the entries from their files, each file first copied to
 * `<file>.dodil-backup-<time>` (mode 0600: it may be the user's only copy of
 * that password). Returns the backup paths.
 */
export function removeAuthsEntries(entries: readonly AuthsEntry[], now: number): string[] {
  const backups: string[] = [];
  const byFile = new Map<string, AuthsEntry[]>();
  for (const e of entries) byFile.set(e.file.path, [...(byFile.get(e.file.path) ?? []), e]);
  for (const [path, list] of byFile) {
    const file = list[0]?.file;
    const data = readJsonObject(path);
    if (!file || !data) continue;
    const backup = `${path}.dodil-backup-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    writeFileAtomic(backup, readFileSync(path, 'utf8'), 0o600);
    backups.push(backup);
    const auths = { ...authsOf(file, data) };
    for (const e of list) delete auths[e.key];
    const next = file.legacy ? auths : { ...data, auths };
    writeFileAtomic(path, `${JSON.stringify(next, null, '\t')}\n`, fileMode(path) ?? 0o600);
  }
  return backups;
}

/** Where `setup docker` points podman, buildah and skopeo at dodil (a per-user registries.conf drop-in; survives reboots). */
export function containersDropInPath(env: Env): string {
  if (!env.HOME) throw new CliError('FAILED_PRECONDITION', 'cannot locate the containers config: set HOME');
  // containers-registries.conf.d(5): $HOME/.config/containers/registries.conf.d, loaded in name order, later wins.
  return join(env.HOME, '.config', 'containers', 'registries.conf.d', '99-dodil.conf');
}

/** The drop-in's text: dodil first for every registry; one without a dodil slot falls through to the auth files. */
export const CONTAINERS_DROP_IN = `# Written by \`dodil setup docker\`. podman, buildah and skopeo ask docker-credential-dodil
# first, so the slot wins over any auths entry and \`podman login\` rotates the mapped slot
# (a registry with no dodil slot falls through to the auth files, as before).
credential-helpers = ["dodil", "containers-auth.json"]
`;

/** True when the drop-in file is there with our content. */
export function dropInInPlace(path: string): boolean {
  try {
    return readFileSync(path, 'utf8') === CONTAINERS_DROP_IN;
  } catch {
    return false;
  }
}
