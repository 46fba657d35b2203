import { COMMON_OPTIONS, openForAdmin, parseCommandFlags } from '../common-options';
import type { OperatorRuntime } from '../../runtime';
import type { Command } from '../io';
import { ConfigError } from '../../config';

const HELP = `usage: dodil-server org create <org> [--data-dir DIR] [--master-key-file F | --dev]
       dodil-server org list [-o json] [--data-dir DIR] [--master-key-file F | --dev]

"create" makes an organization with its own data key; "list" shows every org.`;

const OPTIONS = { ...COMMON_OPTIONS, output: { type: 'string', short: 'o' } } as const;

/** `dodil-server org create <org>` and `org list`. */
export const orgCommand: Command = async (argv, io) => {
  const parsed = parseCommandFlags(argv, OPTIONS, HELP, io);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [action, name, ...rest] = positionals;
  if (action === 'list' && name === undefined) return listOrgs(values, io);
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

// Names and creation times only: never a key.
async function listOrgs(
  values: Parameters<typeof openForAdmin>[0] & { output?: string | undefined },
  io: Parameters<Command>[1],
): Promise<number> {
  if (values.output !== undefined && values.output !== 'json') throw new ConfigError('-o must be json');
  const runtime: Pick<OperatorRuntime, 'listOrgs' | 'close'> = await openForAdmin(values, io);
  try {
    const orgs = [...(await runtime.listOrgs())].sort((a, b) => a.name.localeCompare(b.name));
    if (values.output === 'json') {
      io.stdout(
        `${JSON.stringify(
          orgs.map((o) => ({ name: o.name, createdAtMs: o.createdAtMs })),
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    const width = Math.max(4, ...orgs.map((o) => o.name.length));
    io.stdout(`${'NAME'.padEnd(width)}  CREATED\n`);
    for (const o of orgs) io.stdout(`${o.name.padEnd(width)}  ${new Date(o.createdAtMs).toISOString()}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}
