import { ConfigError } from '../../config';
import { exportAudit } from '../../audit/audit-export';
import { pruneAuditThrough, pruneTargetForAge } from '../../audit/audit-retention';
import type { OperatorRuntime } from '../../runtime';
import { parseDuration } from '../duration';
import type { CliIo } from '../io';

const SEQ = /^\d{1,15}$/;

/** `--since SEQ` (default 0: everything). */
export function parseSince(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!SEQ.test(text))
    throw new ConfigError('--since is the seq of the last entry already shipped (a number)');
  return Number(text);
}

/** `--before` is a seq (entries before it go) or an age such as 90d (entries older go). */
export function parseBefore(text: string | undefined): { seq: number } | { ageMs: number } {
  if (text === undefined)
    throw new ConfigError('audit prune needs --before <seq|duration> (e.g. --before 90d)');
  if (SEQ.test(text)) {
    if (Number(text) < 1) throw new ConfigError('--before SEQ must be at least 1');
    return { seq: Number(text) };
  }
  return { ageMs: parseDuration(text) };
}

/** `audit export [--since SEQ] [--follow]`: NDJSON on stdout until the end (or SIGTERM with --follow). */
export async function runAuditExport(
  runtime: Pick<OperatorRuntime, 'audit' | 'clock'>,
  since: number,
  follow: boolean,
  io: CliIo,
): Promise<number> {
  await exportAudit(runtime.audit, { since, follow, signal: io.signal, write: io.stdout, warn: io.stderr });
  return 0;
}

/** `audit prune --before <seq|duration>`: deletes old entries, keeping the checkpoint. */
export async function runAuditPrune(
  runtime: Pick<OperatorRuntime, 'audit' | 'clock'>,
  before: { seq: number } | { ageMs: number },
  io: CliIo,
): Promise<number> {
  const through =
    'seq' in before ? before.seq - 1 : await pruneTargetForAge(runtime.audit, runtime.clock(), before.ageMs);
  const result = await pruneAuditThrough(runtime.audit, through);
  const from = (result.checkpoint?.count ?? 0) + 1;
  io.stderr(
    result.pruned === 0
      ? `nothing to prune; the log starts at entry ${from}\n`
      : `pruned ${result.pruned} entries; the log now starts at entry ${from} (checkpoint ${from - 1}:${Buffer.from(result.checkpoint?.lastMac ?? []).toString('hex')})\n`,
  );
  return 0;
}
