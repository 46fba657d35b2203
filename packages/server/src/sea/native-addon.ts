import { createHash, randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../config';

/**
 * Inside the single executable there is no `node_modules`, so better-sqlite3's compiled addon
 * travels as an SEA asset. A shared object can only be loaded from a file, so it is written once
 * to a private, content-addressed cache file and verified every time before it is loaded.
 *
 * Threat model: the cache directory must be owned by us and closed to group and others, so only
 * our own uid (or root) can replace the file between the check and `dlopen`. The directory's
 * ancestors are trusted the way `$HOME` is.
 */

/** Name of the SEA asset that holds `better_sqlite3.node` (scripts/build-binaries.mjs uses it too). */
export const SQLITE_ADDON_ASSET = 'better_sqlite3.node';

/** The `node:fs` calls the cache makes; injected so tests can make single calls fail or interleave. */
export type AddonCacheFs = Pick<
  typeof nodeFs,
  | 'mkdirSync'
  | 'chmodSync'
  | 'lstatSync'
  | 'openSync'
  | 'writeSync'
  | 'fsyncSync'
  | 'closeSync'
  | 'renameSync'
  | 'readFileSync'
  | 'unlinkSync'
>;

/** Everything {@link materialiseNativeAddon} needs besides the bytes. */
export interface AddonCacheDeps {
  readonly fs: AddonCacheFs;
  /** Our uid; `undefined` where the platform has none (owner checks are then skipped). */
  readonly uid: number | undefined;
  /** Unique suffix for the temp file, so concurrent first starts never share one. */
  readonly tempSuffix: () => string;
}

/**
 * A failure of the addon cache. It is the operator's to fix (permissions, a changed file), so it
 * is a {@link ConfigError}: the CLI prints the message as one line and exits 2.
 */
export class NativeAddonError extends ConfigError {}

/** Lower-case hex sha256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Where the addon cache lives: `DODIL_CACHE_DIR`, else `$XDG_CACHE_HOME/dodil` (XDG says to
 * ignore a relative value), else `<home>/.cache/dodil`.
 */
export function resolveAddonCacheDir(
  env: Readonly<Record<string, string | undefined>>,
  homeDir: string,
  cwd: string,
): string {
  const explicit = env['DODIL_CACHE_DIR'];
  if (explicit !== undefined && explicit !== '') return resolve(cwd, explicit);
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'dodil');
  if (homeDir === '' || !isAbsolute(homeDir)) {
    throw new NativeAddonError(
      'no home directory to put the native addon cache in; set DODIL_CACHE_DIR to a private directory',
    );
  }
  return join(homeDir, '.cache', 'dodil');
}

/**
 * Writes `bytes` to `<cacheDir>/<fileStem>-<sha256>.node` unless it is there already, verifies
 * the file (owner, permissions, sha256) and returns its path. Never loads anything.
 *
 * The write goes to a unique temp file that is renamed into place, so two processes starting
 * for the first time at once each publish a complete, identical file and both succeed. A cached
 * file whose bytes differ is refused, not overwritten: something changed it, and the operator
 * should know.
 */
export function materialiseNativeAddon(
  input: { readonly bytes: Uint8Array; readonly cacheDir: string; readonly fileStem: string },
  deps: AddonCacheDeps,
): string {
  const { fs } = deps;
  const digest = sha256Hex(input.bytes);
  ensurePrivateDir(input.cacheDir, deps);
  const target = join(input.cacheDir, `${input.fileStem}-${digest}.node`);
  if (!exists(fs, target)) writeAtomically(target, input.bytes, deps);
  verifyCachedFile(target, digest, deps);
  return target;
}

/** Creates the cache directory (0700) if needed and refuses one that others could write into. */
function ensurePrivateDir(dir: string, deps: AddonCacheDeps): void {
  const { fs } = deps;
  try {
    const created = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The umask may have taken bits away (or, with a 0 umask, none); say exactly what we want.
    if (created !== undefined) fs.chmodSync(dir, 0o700);
  } catch (error) {
    throw new NativeAddonError(`cannot create the native addon cache ${dir}: ${errorCode(error)}`);
  }
  const stat = fs.lstatSync(dir);
  if (stat.isSymbolicLink()) {
    throw new NativeAddonError(
      `native addon cache ${dir} is a symbolic link; point DODIL_CACHE_DIR at a real private directory`,
    );
  }
  if (!stat.isDirectory()) throw new NativeAddonError(`native addon cache ${dir} is not a directory`);
  if (deps.uid !== undefined && stat.uid !== deps.uid) {
    throw new NativeAddonError(
      `native addon cache ${dir} belongs to uid ${stat.uid}, not to us (uid ${deps.uid}); refusing to use it`,
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new NativeAddonError(
      `native addon cache ${dir} is open to other users (mode ${octal(stat.mode)}); run chmod 700 on it`,
    );
  }
}

function writeAtomically(target: string, bytes: Uint8Array, deps: AddonCacheDeps): void {
  const { fs } = deps;
  const temp = `${target}.${deps.tempSuffix()}.tmp`;
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', 0o600);
    let offset = 0;
    while (offset < bytes.byteLength) {
      offset += fs.writeSync(fd, bytes, offset, bytes.byteLength - offset);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    // rename(2) replaces atomically: a concurrent starter that got there first wrote the same bytes.
    fs.renameSync(temp, target);
  } catch (error) {
    if (fd !== undefined) fs.closeSync(fd);
    try {
      fs.unlinkSync(temp);
    } catch {
      // Already renamed or never created; nothing to clean up.
    }
    throw new NativeAddonError(`cannot write the native addon to ${target}: ${errorCode(error)}`);
  }
}

function verifyCachedFile(target: string, digest: string, deps: AddonCacheDeps): void {
  const { fs } = deps;
  const stat = fs.lstatSync(target);
  if (!stat.isFile()) {
    throw new NativeAddonError(`cached native addon ${target} is not a regular file; refusing to load it`);
  }
  if (deps.uid !== undefined && stat.uid !== deps.uid) {
    throw new NativeAddonError(
      `cached native addon ${target} belongs to uid ${stat.uid}, not to us (uid ${deps.uid}); refusing to load it`,
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new NativeAddonError(
      `cached native addon ${target} is open to other users (mode ${octal(stat.mode)}); refusing to load it`,
    );
  }
  if (sha256Hex(fs.readFileSync(target)) !== digest) {
    throw new NativeAddonError(
      `cached native addon ${target} does not match the copy inside this executable (sha256 differs); ` +
        'refusing to load it. Delete the file to have it written again.',
    );
  }
}

function exists(fs: AddonCacheFs, path: string): boolean {
  try {
    fs.lstatSync(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw new NativeAddonError(`cannot inspect the cached native addon ${path}: ${errorCode(error)}`);
  }
}

function errorCode(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(3, '0');
}

/** The default dependencies: real `node:fs`, the process's uid, a random temp-file suffix. */
export function defaultAddonCacheDeps(uid: number | undefined, pid: number): AddonCacheDeps {
  return {
    fs: nodeFs,
    uid,
    tempSuffix: () => `${pid}-${randomBytes(6).toString('hex')}`,
  };
}

/** `process.dlopen`'s shape, passed in so only `main.ts` touches `process`. */
export type Dlopen = (module: { exports: unknown }, filename: string) => void;

/** Loads a verified addon file and returns its exports (better-sqlite3's `nativeBinding`). */
export function loadNativeAddon(path: string, dlopen: Dlopen): object {
  const module: { exports: unknown } = { exports: {} };
  try {
    dlopen(module, path);
  } catch (error) {
    throw new NativeAddonError(
      `cannot load the native addon ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof module.exports !== 'object' || module.exports === null) {
    throw new NativeAddonError(`native addon ${path} exported nothing`);
  }
  return module.exports;
}

/** What {@link loadSeaSqliteBinding} reads from the process; `main.ts` fills it in. */
export interface SeaAddonHost {
  readonly getAsset: (key: string) => ArrayBuffer;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly cwd: string;
  readonly dlopen: Dlopen;
  readonly deps: AddonCacheDeps;
}

/** Inside the single executable: extract (once), verify and load better-sqlite3's addon. */
export function loadSeaSqliteBinding(host: SeaAddonHost): object {
  const bytes = new Uint8Array(host.getAsset(SQLITE_ADDON_ASSET));
  const cacheDir = resolveAddonCacheDir(host.env, host.homeDir, host.cwd);
  const path = materialiseNativeAddon({ bytes, cacheDir, fileStem: 'better_sqlite3' }, host.deps);
  return loadNativeAddon(path, host.dlopen);
}
