import { join } from 'node:path';
import { adminEntry } from '../../audit/audited-admin-service';
import { ConfigError } from '../../config';
import { DATABASE_FILE, openDatabase } from '../../storage/database';
import { openPgDatabase } from '../../storage/pg/pg-database';
import { migratePg } from '../../storage/pg/pg-schema';
import { StoreCopyError, copySqliteToPg } from '../../storage/pg/pg-store-copy';
import { AppError } from '../../errors/app-error';
import { COMMON_OPTIONS, dataDirOf, openForAdmin, parseCommandFlags } from '../common-options';
import { redactUrl, resolveDatabase } from '../database-option';
import type { Command } from '../io';

const HELP = `usage: dodil-server migrate-store --to postgres://USER@HOST:PORT/DB [--data-dir DIR] [--master-key-file F | --dev]

Copies the embedded store of the data dir into an EMPTY PostgreSQL database (creating its schema):
orgs, wrapped data keys, slot ciphertexts, token hashes and the audit chain, unchanged and in one
transaction (all or nothing). The same master key opens the result; \`audit verify --database …\`
passes on it. Stop the server first: writes made during the copy stay behind in the data dir.
The password never goes in --to: use PGPASSWORD, ~/.pgpass, or DODIL_MIGRATE_TO_URL (env) instead.
The source is left as it was (plus one audit entry recording the migration, copied along).`;

const OPTIONS = { ...COMMON_OPTIONS, to: { type: 'string' } } as const;

/** `dodil-server migrate-store --to <postgres URL>` (docs/contract.md#storage-engines-and-high-availability). */
export const migrateStoreCommand: Command = async (argv, io) => {
  const parsed = parseCommandFlags(argv, OPTIONS, HELP, io);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new ConfigError(HELP);
  const target = resolveDatabase(
    values.to,
    values.to === undefined ? { DODIL_DATABASE_URL: io.env.DODIL_MIGRATE_TO_URL } : {},
  );
  if (target.engine !== 'postgres')
    throw new ConfigError(`--to (or DODIL_MIGRATE_TO_URL) must be a postgres:// URL\n${HELP}`);

  // The source opens as any admin command does: the master key must open it.
  const runtime = await openForAdmin(values, io);
  try {
    const verified = await runtime.audit.verify();
    if (!verified.ok) {
      throw new ConfigError(
        `the source's audit log is broken at entry ${verified.firstBroken}; run \`dodil-server audit verify\` first (nothing was copied)`,
      );
    }
    // Recorded before the copy, so the target's chain says where it came from.
    await runtime.audit.record(
      adminEntry(runtime.clock, 'migrate-store', { detail: `to ${redactUrl(target.url)}` }),
    );
  } finally {
    await runtime.close();
  }
  // The copy reads the file directly, in one read transaction (a consistent snapshot).
  const source = openDatabase(join(dataDirOf(values['data-dir'], io), DATABASE_FILE), {
    nativeBinding: io.nativeBinding,
  });
  try {
    const pg = openPgDatabase(target.url);
    try {
      await migratePg(pg);
      const counts = await copySqliteToPg(source, pg).catch((err: unknown) => {
        // Nothing was copied (one transaction); the operator must choose another target or source.
        if (err instanceof StoreCopyError) throw new AppError('FAILED_PRECONDITION', err.message);
        throw err;
      });
      io.stderr(
        `copied ${counts.orgs ?? 0} orgs, ${counts.slots ?? 0} slots, ${counts.tokens ?? 0} tokens and ${counts.audit_log ?? 0} audit entries to ${redactUrl(target.url)}; start the replicas with --database\n`,
      );
    } finally {
      await pg.close();
    }
    return 0;
  } finally {
    source.close();
  }
};
