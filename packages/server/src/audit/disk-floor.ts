import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DiskFloor } from './audit-log';

/** The default disk floor of the audit log (`--audit-min-free-mb 64`). */
export const DEFAULT_AUDIT_MIN_FREE_BYTES = 64 * 1024 * 1024;

/** statfs of `dir`, re-read at most once a second (it runs on every audited request). */
function cachedFreeBytes(dir: string, now: () => number): () => number {
  let at = -Infinity;
  let free = Infinity;
  return () => {
    const t = now();
    if (t - at >= 1000) {
      at = t;
      try {
        const s = statfsSync(dir);
        free = s.bavail * s.bsize;
      } catch {
        free = Infinity; // a file system that can't say: don't refuse on a guess
      }
    }
    return free;
  };
}

/**
 * The audit log's free-disk floor for a database file (`undefined`: off, for
 * 0 or an in-memory database). `freeBytes` replaces statfs in tests.
 */
export function auditDiskFloor(
  databaseFile: string,
  minFreeBytes: number,
  freeBytes: (() => number) | undefined,
  now: () => number,
): DiskFloor | undefined {
  if (minFreeBytes <= 0 || databaseFile === ':memory:') return undefined;
  return { minFreeBytes, freeBytes: freeBytes ?? cachedFreeBytes(dirname(databaseFile), now) };
}
