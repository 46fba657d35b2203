import { resolve } from 'node:path';
import { adminEntry } from '../../audit/audited-admin-service';
import { codeOf } from '../../audit/audited-secret-service';
import { ConfigError } from '../../config';
import { COMMON_OPTIONS, openForAdmin, parseCommandFlags } from '../common-options';
import type { OperatorRuntime } from '../../runtime';
import type { Command } from '../io';

const HELP = `usage: dodil-server backup <file> [--data-dir DIR] [--master-key-file F | --dev]

Writes a consistent copy of the store to <file> (mode 0600, must not exist) while the server
keeps serving (SQLite's online backup API, one snapshot). Values in it stay encrypted: a
restore needs the same master key. Keep the master key apart from the backups.`;

/** `dodil-server backup <file>`. */
export const backupCommand: Command = async (argv, io) => {
  const parsed = parseCommandFlags(argv, COMMON_OPTIONS, HELP, io);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [file, ...rest] = positionals;
  if (file === undefined || file === '' || rest.length > 0) throw new ConfigError(HELP);
  const target = resolve(file);
  const runtime: Pick<OperatorRuntime, 'backup' | 'audit' | 'clock' | 'close'> = await openForAdmin(
    values,
    io,
  );
  try {
    let bytes: number;
    try {
      ({ bytes } = await runtime.backup(target));
    } catch (err) {
      await runtime.audit.record(
        adminEntry(runtime.clock, 'backup', { code: codeOf(err), detail: `to ${target}` }),
      );
      throw err;
    }
    await runtime.audit.record(
      adminEntry(runtime.clock, 'backup', { detail: `to ${target} (${bytes} bytes)` }),
    );
    io.stderr(
      `backup written to ${target} (${bytes} bytes, mode 0600); restore it with: dodil-server restore ${target}\n`,
    );
    return 0;
  } finally {
    await runtime.close();
  }
};
