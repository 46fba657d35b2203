import { createHash, randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/** A minted token as cached. */
export interface CachedToken {
  token: string;
  expiresAtMs: number;
}

/** What the cache is keyed by: two jobs on one runner (other subject or trust) never share a token. */
export interface CacheKey {
  server: string;
  org: string;
  issuer: string;
  subject: string;
  trust: string;
}

/** A cached token is dropped this long before it expires. */
export const EXPIRY_MARGIN_MS = 60_000;

/** A lock older than this is taken as left by a crashed helper. */
const STALE_LOCK_MS = 30_000;

/** The cache file name for a key: a hash, so no claim text becomes a path. */
export function cacheFileName(key: CacheKey): string {
  const text = [key.server, key.org, key.issuer, key.subject, key.trust].join('\0');
  return `${createHash('sha256').update(text).digest('hex').slice(0, 40)}.json`;
}

/**
 * Makes the cache directory private (0700) and refuses one that is a symlink
 * or belongs to someone else: a token written there must be readable by us only.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  const uid = userInfo().uid;
  if (uid >= 0 && st.uid !== uid) throw new Error(`${dir} belongs to another user`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** The cached token at `file` when it is still good for at least the margin; otherwise undefined. */
export function readCached(file: string, now: number): CachedToken | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const c = parsed as Partial<CachedToken> | null;
  if (typeof c?.token !== 'string' || typeof c.expiresAtMs !== 'number') return undefined;
  if (now >= c.expiresAtMs - EXPIRY_MARGIN_MS) return undefined;
  return { token: c.token, expiresAtMs: c.expiresAtMs };
}

/** Writes the cache file atomically with mode 0600 (a reader never sees half a file). */
export function writeCached(file: string, value: CachedToken): void {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(value), { mode: 0o600, flag: 'w' });
  renameSync(tmp, file);
}

/** Drops a cached token (after a 401). */
export function dropCached(file: string): void {
  rmSync(file, { force: true });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` holding an exclusive lock file next to `file`, so helpers
 * started in parallel by one job exchange once: the others wait, then find
 * the token in the cache. Bounded: after `waitMs` (or on a stale lock) the
 * lock is taken over.
 */
export async function withLock<T>(file: string, work: () => Promise<T>, waitMs = 15_000): Promise<T> {
  const lock = `${file}.lock`;
  const started = Date.now();
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(lock, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let stale = Date.now() - started > waitMs;
      try {
        stale ||= Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
      } catch {
        continue; // released meanwhile
      }
      if (stale) rmSync(lock, { force: true });
      else await sleep(25);
    }
  }
  try {
    return await work();
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

/** The cache file for a key inside `dir`. */
export const cacheFile = (dir: string, key: CacheKey) => join(dir, cacheFileName(key));
