import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { weakKeyReason } from '../crypto/key-strength';
import { checkKeyStrength } from './process-guards';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { ConfigError, ensureDataDir, resolveMasterKey } from '../config';
import { DATABASE_FILE } from '../storage/database';
import { openPgRuntime, openRuntime } from '../runtime';
import type { EngineRuntime, OperatorRuntime, PgRuntimeOptions } from '../runtime';
import { resolveDatabase } from './database-option';
import type { DatabaseChoice } from './database-option';
import type { CliIo } from './io';

/** Flags every subcommand takes: the data dir and the master key settings (docs/contract.md#server). */
export const COMMON_OPTIONS = {
  'data-dir': { type: 'string' },
  'master-key-file': { type: 'string' },
  dev: { type: 'boolean' },
  // The store: the embedded SQLite file of the data dir (default) or a postgres:// URL (docs/contract.md#storage-engines-and-high-availability).
  database: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Parses argv strictly: an unknown flag is an operator error, not something to ignore. */
function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** Parses a subcommand's flags; with `--help`/`-h` prints its usage and returns `undefined`. */
export function parseCommandFlags<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
  usage: string,
  io: Pick<CliIo, 'stdout'>,
) {
  const parsed = parseFlags(argv, options);
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout(`${usage}\n`);
    return undefined;
  }
  return parsed;
}

/** The data dir from `--data-dir`, `DODIL_DATA_DIR`, or `./data`. */
export function dataDirOf(flag: string | undefined, io: CliIo): string {
  return flag ?? io.env.DODIL_DATA_DIR ?? 'data';
}

/**
 * Opens the runtime on the chosen engine: the data dir's SQLite file, or PostgreSQL (the data dir
 * then only holds the dev key file, if any).
 */
export async function openChosenRuntime(
  database: DatabaseChoice,
  dataDir: string,
  options: PgRuntimeOptions,
): Promise<EngineRuntime> {
  if (database.engine === 'postgres') return openPgRuntime(database.url, options);
  ensureDataDir(dataDir);
  return openRuntime({ ...options, databaseFile: join(dataDir, DATABASE_FILE) });
}

/** Opens the runtime of a data dir (or `--database`) for an admin subcommand (never generates a key). */
export async function openForAdmin(
  values: {
    'data-dir'?: string | undefined;
    'master-key-file'?: string | undefined;
    dev?: boolean | undefined;
    database?: string | undefined;
  },
  io: CliIo,
): Promise<OperatorRuntime> {
  const dataDir = dataDirOf(values['data-dir'], io);
  const database = resolveDatabase(values.database, io.env);
  const { key } = resolveMasterKey({
    flagFile: values['master-key-file'],
    env: io.env,
    dataDir,
    dev: values.dev ?? false,
    generateDev: false,
  });
  // A weak key is refused for a store about to be created (an embedded one without its file yet).
  const creating = database.engine === 'sqlite' && !existsSync(join(dataDir, DATABASE_FILE));
  checkKeyStrength(weakKeyReason(key), creating, io.stderr);
  // A one-shot command needs no change feed: it holds no caches across requests.
  return openChosenRuntime(database, dataDir, {
    masterKey: key,
    nativeBinding: io.nativeBinding,
    watchChanges: false,
  });
}
