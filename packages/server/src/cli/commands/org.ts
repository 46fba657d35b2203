import { COMMON_OPTIONS, openForAdmin, parseCommandFlags } from '../common-options';
import type { OperatorRuntime } from '../../runtime';
import type { Command } from '../io';
import { ConfigError } from '../../config';

const HELP = `usage: dodil-server org create <org> [--data-dir DIR] [--master-key-file F | --dev]

Creates an organization with its own data key.`;

/** `dodil-server org create <org>`. */
export const orgCommand: Command = async (argv, io) => {
  const parsed = parseCommandFlags(argv, COMMON_OPTIONS, HELP, io);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [action, name, ...rest] = positionals;
  if (action !== 'create' || name === undefined || rest.length > 0) throw new ConfigError(HELP);
  const runtime: Pick<OperatorRuntime, 'admin' | 'close'> = await openForAdmin(values, io);
  try {
    const org = await runtime.admin.createOrg(name);
    io.stderr(`created org ${org.name}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
};
