import { statfsSync } from 'node:fs';
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
 * The audit log's free-disk floor for an embedded engine's data directory
 * (`undefined`: off, for 0 or no local directory). `freeBytes` replaces statfs in tests.
 */
export function auditDiskFloor(
  dataDir: string | undefined,
  configured: number | undefined,
  freeBytes: (() => number) | undefined,
  now: () => number,
): DiskFloor | undefined {
  const minFreeBytes = configured ?? DEFAULT_AUDIT_MIN_FREE_BYTES;
  if (minFreeBytes <= 0) return undefined;
  if (freeBytes !== undefined) return { minFreeBytes, freeBytes };
  // No local directory (PostgreSQL): the database server guards its own disk.
  if (dataDir === undefined) return undefined;
  if (configured !== undefined) return { minFreeBytes, freeBytes: cachedFreeBytes(dataDir, now) };
  // On a small file system the default floor shrinks to 5% of its size (a 6 MB tmpfs must not refuse all).
  let size = Infinity;
  try {
    const fs = statfsSync(dataDir);
    size = fs.blocks * fs.bsize;
  } catch {
    // unknown size: keep the configured floor
  }
  return {
    minFreeBytes: Math.min(minFreeBytes, Math.max(64 * 1024, Math.floor(size * 0.05))),
    freeBytes: cachedFreeBytes(dataDir, now),
  };
}
