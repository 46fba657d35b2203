import { resolve } from 'node:path';
import { adminEntry } from '../../audit/audited-admin-service';
import { ConfigError, DEV_KEY_FILE, ensureDataDir, resolveMasterKey } from '../../config';
import { checkBackup, restoreInto } from '../../ops/backup';
import { restoreIntoPg } from '../../ops/pg-backup';
import { redactUrl, resolveDatabase } from '../database-option';
import { COMMON_OPTIONS, dataDirOf, openForAdmin, parseCommandFlags } from '../common-options';
import type { OperatorRuntime } from '../../runtime';
import type { Command } from '../io';

const HELP = `usage: dodil-server restore <file> [--data-dir DIR] [--master-key-file F | --dev] [--accept-broken-audit]

Restores a backup into an EMPTY data dir (it refuses otherwise). Before copying it checks the
file with SQLite's integrity check, that the master key given opens it, and its audit chain
(a broken chain is refused unless --accept-broken-audit, which keeps the broken chain in an
archive table and starts a new one). Then start the server on that dir.`;

const OPTIONS = { ...COMMON_OPTIONS, 'accept-broken-audit': { type: 'boolean' } } as const;

/** `dodil-server restore <file>`. */
export const restoreCommand: Command = async (argv, io) => {
  const parsed = parseCommandFlags(argv, OPTIONS, HELP, io);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [file, ...rest] = positionals;
  if (file === undefined || file === '' || rest.length > 0) throw new ConfigError(HELP);
  const source = resolve(file);
  const dataDir = dataDirOf(values['data-dir'], io);
  const dev = values.dev ?? false;
  const { key } = resolveMasterKey({
    flagFile: values['master-key-file'],
    env: io.env,
    dataDir,
    dev,
    generateDev: false,
  });
  const binding = { nativeBinding: io.nativeBinding };

  const check = await checkBackup(source, key, binding);
  if (!check.audit.ok) {
    io.stderr(
      `the backup's audit log is broken at entry ${check.audit.firstBroken}: ${check.audit.reason}\n`,
    );
    if (!(values['accept-broken-audit'] ?? false)) {
      io.stderr('refusing to restore it; pass --accept-broken-audit to restore anyway\n');
      return 1;
    }
  }
  const database = resolveDatabase(values.database, io.env);
  if (database.engine === 'postgres') {
    // The same file restores into PostgreSQL: copied, migrated to this release's schema, then
    // its rows copied into the (empty) database in one transaction.
    await restoreIntoPg(source, database.url, binding);
  } else {
    ensureDataDir(dataDir);
    // With --dev the key file lives in the data dir, so that one file may already be there.
    await restoreInto(source, dataDir, dev ? [DEV_KEY_FILE] : [], binding);
  }
  let archived: string | undefined;
  if (!check.audit.ok) {
    // Moved aside before anything is appended; the next open starts a new chain.
    const restored: Pick<OperatorRuntime, 'audit' | 'clock' | 'close'> = await openForAdmin(values, io);
    try {
      archived = await restored.audit.archive(restored.clock());
    } finally {
      await restored.close();
    }
  }

  const runtime: Pick<OperatorRuntime, 'audit' | 'clock' | 'close'> = await openForAdmin(values, io);
  try {
    await runtime.audit.record(
      adminEntry(runtime.clock, 'restore', {
        detail:
          `from ${source}: ${check.orgs} orgs, ${check.slots} slots` +
          (check.audit.ok
            ? ''
            : `; its audit chain was broken at entry ${check.audit.firstBroken}, kept in ${archived}`),
      }),
    );
  } finally {
    await runtime.close();
  }
  io.stderr(
    `restored ${check.orgs} orgs and ${check.slots} slots into ${database.engine === 'postgres' ? redactUrl(database.url) : dataDir}` +
      `${check.audit.ok ? ` (audit chain of ${check.audit.count} entries verifies)` : ''}; start the server on it\n`,
  );
  return 0;
};
