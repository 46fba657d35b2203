import { closeSync, fsyncSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Why `/readyz` is 503: fixed codes, never a driver's text (the endpoint
 * needs no token). Other checks map onto these: an audit writer's disk floor
 * is `DISK_FULL`, a sealed server is `MASTER_KEY_INVALID`.
 */
export const READINESS_CAUSES = [
  'DATABASE_UNREACHABLE',
  'MASTER_KEY_INVALID',
  'AUDIT_CHAIN_BROKEN',
  'AUDIT_UNWRITABLE',
  'DISK_FULL',
  'SHUTTING_DOWN',
] as const;

/** One reason the server is not ready. */
export type ReadinessCause = (typeof READINESS_CAUSES)[number];

/** Every cause that holds now; empty when ready. */
export type ReadinessCheck = () => Promise<readonly ReadinessCause[]>;

/** One check: `true` when fine; `false` or a throw means its cause holds. */
export interface ReadinessProbe {
  cause: ReadinessCause;
  /** Checks whose cause makes this one meaningless are skipped (nothing to write to without a database). */
  after?: ReadinessCause;
  healthy(): boolean | ReadinessCause | Promise<boolean | ReadinessCause>;
}

/**
 * Runs the probes in order; a probe may name a more precise cause than its
 * own (the disk probe answers `DISK_FULL` for ENOSPC, else `AUDIT_UNWRITABLE`).
 */
export function createReadinessCheck(probes: readonly ReadinessProbe[]): ReadinessCheck {
  return async () => {
    const causes: ReadinessCause[] = [];
    for (const probe of probes) {
      if (probe.after !== undefined && causes.includes(probe.after)) continue;
      let result: boolean | ReadinessCause;
      try {
        result = await probe.healthy();
      } catch {
        result = false;
      }
      if (result === true) continue;
      const cause = result === false ? probe.cause : result;
      if (!causes.includes(cause)) causes.push(cause);
    }
    return causes;
  };
}

const PROBE_BYTES = 64 * 1024;

/**
 * Whether the data directory can take a write: free space above the floor
 * (statfs) and a 64 KiB file written, fsynced and removed. The audit log
 * fails closed when it can't append, so a full disk means no request can be
 * served; this notices it before traffic does, and notices when it clears.
 */
export function diskWritable(dir: string, floorBytes = 0): ReadinessCause | true {
  const fs = statfsSync(dir);
  if (fs.bavail * fs.bsize < Math.max(floorBytes, PROBE_BYTES)) return 'DISK_FULL';
  const file = join(dir, '.readyz-probe');
  try {
    const fd = openSync(file, 'w', 0o600);
    try {
      writeSync(fd, Buffer.alloc(PROBE_BYTES));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code === 'ENOSPC' || (err as { code?: unknown }).code === 'EDQUOT'
      ? 'DISK_FULL'
      : 'AUDIT_UNWRITABLE';
  } finally {
    rmSync(file, { force: true });
  }
}
