import { ConfigError } from '../../config';
import type { AuditEntry } from '../../audit/audit-entry';
import { auditEntryJson } from '../../audit/audit-json';
import type { AuditVerifyResult } from '../../audit/audit-verify';
import { adminEntry } from '../../audit/audited-admin-service';
import type { OperatorRuntime } from '../../runtime';
import { COMMON_OPTIONS, openForAdmin, parseCommandFlags } from '../common-options';
import { parseBefore, parseSince, runAuditExport, runAuditPrune } from './audit-ops';
import type { CliIo, Command } from '../io';

const HELP = `usage:
  dodil-server audit verify [--anchor SEQ:MAC]
  dodil-server audit list [--org ORG] [--limit N] [-o json]
  dodil-server audit restart-chain
  dodil-server audit export [--since SEQ] [--follow]
  dodil-server audit prune --before <SEQ|DURATION>
(each also takes --data-dir DIR and the master key settings)

verify recomputes the HMAC chain and exits 1 naming the first broken entry when an entry was
edited, reordered or deleted, or the log was cut. On success it prints the head as SEQ:MAC;
keep that line elsewhere and pass it later as --anchor to prove the log still extends it.
list prints the newest N entries (default 100), oldest first. Entries never hold values or tokens.
A server refuses requests while its audit log is broken (fail closed). restart-chain, only on a
broken log, moves it into an archive table (kept as evidence) and starts a new chain whose first
entries say so.
export prints entries as NDJSON (one JSON object per line, with seq and mac), only those after
--since SEQ; --follow keeps printing new ones until SIGTERM. A shipper stores the last seq it
read and resumes with --since, across server restarts.
prune deletes entries before SEQ, or older than DURATION (e.g. 90d), never the newest one, in
small batches; it keeps a checkpoint (the last pruned entry's MAC, itself authenticated) from
which verify checks what remains. It refuses to prune entries that do not verify.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  anchor: { type: 'string' },
  org: { type: 'string' },
  limit: { type: 'string' },
  output: { type: 'string', short: 'o' },
  since: { type: 'string' },
  follow: { type: 'boolean' },
  before: { type: 'string' },
} as const;

// Entries hold caller-influenced text (request ids, addresses); keep the terminal safe.
// eslint-disable-next-line no-control-regex -- replacing control characters is the point
const printable = (text: string | undefined) => (text ?? '-').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');

function table(entries: AuditEntry[]): string {
  const rows = [['SEQ', 'TIME', 'ACTION', 'CODE', 'ORG', 'SLOT', 'TOKEN', 'CLIENT', 'REQUEST', 'DETAIL']];
  for (const e of entries) {
    rows.push(
      [
        String(e.seq),
        new Date(e.timeMs).toISOString(),
        e.action,
        e.code,
        e.org,
        e.slot,
        e.tokenId,
        e.clientAddress,
        e.requestId,
        e.detail,
      ].map((cell) => printable(cell)),
    );
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map(
      (r) =>
        `${r
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

function parseAnchor(text: string): { seq: number; mac: string } {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/i.exec(text.trim());
  if (!m?.[1] || !m[2] || Number(m[1]) < 1)
    throw new ConfigError('--anchor is SEQ:MAC as printed by `audit verify`');
  return { seq: Number(m[1]), mac: m[2].toLowerCase() };
}

async function restartChain(
  runtime: Pick<OperatorRuntime, 'audit' | 'clock' | 'close'>,
  result: AuditVerifyResult,
  values: Parameters<typeof openForAdmin>[0],
  io: CliIo,
): Promise<number> {
  if (result.ok) {
    io.stderr(`the audit log verifies (${result.count} entries); nothing to restart\n`);
    return 9;
  }
  const table = await runtime.audit.archive(runtime.clock());
  await runtime.close();
  const fresh: Pick<OperatorRuntime, 'audit' | 'clock' | 'close'> = await openForAdmin(values, io);
  try {
    await fresh.audit.record(
      adminEntry(fresh.clock, 'audit.restart-chain', {
        detail: `previous chain broken at entry ${result.firstBroken} (${result.reason}); kept in table ${table}`,
      }),
    );
  } finally {
    await fresh.close();
  }
  io.stderr(`moved the broken chain to table ${table} and started a new one\n`);
  return 0;
}

/** `dodil-server audit verify|list|restart-chain|export|prune`. */
export const auditCommand: Command = async (argv, io) => {
  const parsed = parseCommandFlags(argv, OPTIONS, HELP, io);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  if (!['verify', 'list', 'restart-chain', 'export', 'prune'].includes(action ?? '') || rest.length > 0) {
    throw new ConfigError(HELP);
  }
  const since = parseSince(values.since);
  const before = action === 'prune' ? parseBefore(values.before) : undefined;
  if (values.output !== undefined && values.output !== 'json') throw new ConfigError('-o takes only json');
  const anchor = values.anchor === undefined ? undefined : parseAnchor(values.anchor);
  let limit = 100;
  if (values.limit !== undefined) {
    if (!/^\d{1,9}$/.test(values.limit) || Number(values.limit) < 1)
      throw new ConfigError('--limit is a positive number');
    limit = Number(values.limit);
  }
  const runtime: Pick<OperatorRuntime, 'audit' | 'clock' | 'close'> = await openForAdmin(values, io);
  try {
    if (action === 'export') return await runAuditExport(runtime, since, values.follow ?? false, io);
    if (before !== undefined) return await runAuditPrune(runtime, before, io);
    if (action === 'list') {
      const entries = await runtime.audit.list({ org: values.org, limit });
      io.stdout(
        values.output === 'json'
          ? `${JSON.stringify(entries.map(auditEntryJson), null, 2)}\n`
          : table(entries),
      );
      return 0;
    }
    const result = await runtime.audit.verify();
    if (action === 'restart-chain') return await restartChain(runtime, result, values, io);
    if (!result.ok) {
      io.stderr(
        `audit log BROKEN at entry ${result.firstBroken}: ${result.reason} (${result.verified} entries before it verify)\n`,
      );
      return 1;
    }
    if (anchor !== undefined && anchor.seq < result.from - 1) {
      io.stderr(
        `the anchor's entry ${anchor.seq} was pruned (the log starts at entry ${result.from}); give a newer anchor\n`,
      );
      return 1;
    }
    if (anchor !== undefined) {
      const mac =
        anchor.seq === result.from - 1
          ? (await runtime.audit.checkpoint())?.lastMac
          : await runtime.audit.macAt(anchor.seq);
      if (mac === undefined || Buffer.from(mac).toString('hex') !== anchor.mac) {
        io.stderr(
          `audit log BROKEN at entry ${anchor.seq}: it does not match the anchor (the log was rolled back or replaced)\n`,
        );
        return 1;
      }
    }
    io.stdout(`${result.count}:${Buffer.from(result.head.lastMac).toString('hex')}\n`);
    const scope =
      result.from > 1
        ? ` (from entry ${result.from}; entries before it were pruned at a verified checkpoint)`
        : '';
    io.stderr(
      `audit log OK: ${result.count - result.from + 1} entries verify${scope}${anchor ? `, and it extends anchor ${anchor.seq}` : ''}\n`,
    );
    return 0;
  } finally {
    await runtime.close();
  }
};
