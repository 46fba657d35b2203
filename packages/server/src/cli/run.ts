import { AppError } from '../errors/app-error';
import { ConfigError } from '../config';
import { WrongMasterKeyError } from '../runtime';
import { exitCodeFor } from '@dodil/shared';
import { auditCommand } from './commands/audit';
import { backupCommand } from './commands/backup';
import { keysCommand } from './commands/keys';
import { migrateStoreCommand } from './commands/migrate-store';
import { orgCommand } from './commands/org';
import { restoreCommand } from './commands/restore';
import { startCommand } from './commands/start';
import { tokenCommand } from './commands/token';
import { trustCommand } from './commands/trust';
import type { CliIo, Command } from './io';

const HELP = `usage: dodil-server <command> [flags]

commands:
  start                 serve the API (see: dodil-server start --help)
  org create <org>      create an organization
  org list              list the organizations
  token create|list|revoke
                        manage API tokens
  trust create|list|delete|test
                        OIDC trust policies for CI identity federation
  keys rotate-master|rotate-org
                        re-wrap all keys under a new master key; re-encrypt an org under a new data key
  audit verify|list|export|prune
                        check the HMAC-chained audit log; show, export (NDJSON) or prune entries
  backup <file>         consistent copy of the store while it serves
  restore <file>        restore a backup into an empty data dir
  migrate-store --to URL
                        copy the embedded store into an empty PostgreSQL database
  --version             print version and commit

Every command takes --data-dir (DODIL_DATA_DIR, default ./data), --database URL (DODIL_DATABASE_URL,
default: the embedded store in the data dir) and the master key settings
(DODIL_MASTER_KEY, DODIL_MASTER_KEY_FILE, --master-key-file, or --dev for the dev key file).`;

/** Subcommands by name; other modules register more (keys, audit, backup, restore). */
export const COMMANDS: Record<string, Command> = {
  start: startCommand,
  org: orgCommand,
  token: tokenCommand,
  trust: trustCommand,
  keys: keysCommand,
  audit: auditCommand,
  backup: backupCommand,
  restore: restoreCommand,
  'migrate-store': migrateStoreCommand,
};

/**
 * Runs one server subcommand and returns its exit code. The one top-level
 * catch: operator errors print one line; unexpected ones print a generic line.
 */
export async function runServerCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout(`dodil-server ${io.version}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(`${HELP}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`dodil-server: unknown command "${name}"\n${HELP}\n`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`dodil-server ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof AppError) {
      io.stderr(`dodil-server ${name}: ${err.message}\n`);
      return exitCodeFor(err.code);
    }
    if (err instanceof WrongMasterKeyError) {
      io.stderr(`dodil-server ${name}: ${err.message}\n`);
      return 3;
    }
    const code = (err as { code?: unknown }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      io.stderr(`dodil-server ${name}: cannot listen: ${String(code)}\n`);
      return 1;
    }
    io.stderr(`dodil-server ${name}: unexpected error: ${(err as Error).name}: ${(err as Error).message}\n`);
    return 10;
  }
}
