import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * Replaces `path` with `text` atomically: a temporary file in the same
 * directory, fsync, rename. Readers see the old or the new file, never half
 * of one. `mode` applies to the new file; missing parent directories are
 * created with `dirMode`.
 */
export function writeFileAtomic(path: string, text: string, mode: number, dirMode = 0o700): void {
  mkdirSync(dirname(path), { recursive: true, mode: dirMode });
  const tmp = `${path}.tmp-${randomBytes(8).toString('hex')}`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  // openSync's mode is filtered by the umask; the mode is a promise to the user.
  chmodSync(tmp, mode);
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** The permission bits of an existing file, or `undefined` when it does not exist. */
export function fileMode(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
}
