import { COMMON_OPTIONS, openForAdmin, parseFlags } from '../common-options';
import type { Command } from '../io';
import { ConfigError } from '../../config';

const HELP = `usage: dodil-server org create <org> [--data-dir DIR] [--master-key-file F | --dev]

Creates an organization with its own data key.`;

/** `dodil-server org create <org>`. */
export const orgCommand: Command = async (argv, io) => {
  const { values, positionals } = parseFlags(argv, COMMON_OPTIONS);
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const [action, name, ...rest] = positionals;
  if (action !== 'create' || name === undefined || rest.length > 0) throw new ConfigError(HELP);
  const runtime = await openForAdmin(values, io);
  try {
    const org = await runtime.admin.createOrg(name);
    io.stderr(`created org ${org.name}\n`);
    return 0;
  } finally {
    runtime.close();
  }
};
