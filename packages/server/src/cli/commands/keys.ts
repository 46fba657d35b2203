import { ConfigError, readKeyFile } from '../../config';
import { generateMasterKeyText, weakKeyReason } from '../../crypto/key-strength';
import { checkKeyStrength } from '../process-guards';
import type { OrgRotationOptions, OrgRotationReport } from '../../ops/org-key-rotation';
import { COMMON_OPTIONS, openForAdmin, parseCommandFlags } from '../common-options';
import type { OperatorRuntime } from '../../runtime';
import type { CliIo, Command } from '../io';

const HELP = `usage:
  dodil-server keys generate            (prints a new random master key, base64, on stdout)
  dodil-server keys rotate-master --new-master-key-file F [--compromised]
  dodil-server keys rotate-org (<org> | --all) [--keep-old] [--batch-size N]
(each also takes --data-dir DIR and the current master key: DODIL_MASTER_KEY, DODIL_MASTER_KEY_FILE,
 --master-key-file F or --dev)

rotate-master re-wraps every org data key and server key under the new master key in one
transaction; afterwards only the new key opens the data dir, and running servers stop serving
(503) until restarted with it. rotate-org gives an org a new data key, re-encrypts its slots
online in small transactions, then drops key versions no slot uses (unless --keep-old).
After a suspected master key leak use rotate-master --compromised: it also replaces the token pepper
(every API token stops working: re-issue them), starts a new audit chain segment under a new audit
key anchored to the old head (audit verify checks both), then rotates every org's data key.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  'new-master-key-file': { type: 'string' },
  all: { type: 'boolean' },
  'keep-old': { type: 'boolean' },
  'batch-size': { type: 'string' },
  compromised: { type: 'boolean' },
} as const;

function batchSizeOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1)
    throw new ConfigError('--batch-size is a number from 1 to 99999');
  return Number(text);
}

const describe = (r: OrgRotationReport) =>
  `org ${r.org}: data key version ${r.fromVersion} -> ${r.toVersion}, re-encrypted ${r.reencrypted} slots` +
  (r.dropped.length > 0 ? `, dropped versions ${r.dropped.join(',')}` : '');

/** `dodil-server keys rotate-master|rotate-org`. */
export const keysCommand: Command = async (argv, io) => {
  const parsed = parseCommandFlags(argv, OPTIONS, HELP, io);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  if (action === 'generate') {
    if (rest.length > 0) throw new ConfigError(HELP);
    io.stdout(`${generateMasterKeyText()}\n`);
    return 0;
  }
  if (action === 'rotate-master') {
    const file = values['new-master-key-file'];
    if (file === undefined || rest.length > 0) throw new ConfigError(HELP);
    const newKey = readKeyFile(file, 'new master key file');
    checkKeyStrength(weakKeyReason(newKey), true, io.stderr);
    const compromised = values.compromised ?? false;
    const runtime: Pick<OperatorRuntime, 'rotateMasterKey' | 'close'> = await openForAdmin(values, io);
    try {
      const report = await runtime.rotateMasterKey(newKey, { compromised });
      io.stderr(
        `re-wrapped ${report.orgKeys} org data keys and ${report.serverKeys} server keys under the new master key.\n` +
          'Only the new key opens this data dir now; restart running servers with it (they refuse to serve meanwhile).\n',
      );
      if (report.anchorSeq !== undefined) {
        io.stderr(
          'compromised: the token pepper was replaced, so EVERY API token has stopped working. Re-issue them with\n' +
            '  dodil-server token create --org <org> --scopes <scopes>\n' +
            `The audit log continues under a new audit key from entry ${report.anchorSeq + 1}, anchored to entry ` +
            `${report.anchorSeq}; \`dodil-server audit verify\` checks both segments.\n`,
        );
      }
    } finally {
      await runtime.close();
    }
    if (!compromised) return 0;
    // Data keys too: the old master key and an old backup would otherwise still unwrap the keys
    // that seal later values. Reopened under the new key, which alone opens the store now.
    const rotated: Pick<OperatorRuntime, 'rotateOrgKey' | 'listOrgs' | 'close'> = await openForAdmin(
      { ...values, 'master-key-file': file, dev: false },
      io,
    );
    try {
      return await rotateOrgs(
        rotated,
        (await rotated.listOrgs()).map((o) => o.name),
        { dropOld: true },
        io,
      );
    } finally {
      await rotated.close();
    }
  }
  if (action !== 'rotate-org' || (values.all ? rest.length !== 0 : rest.length !== 1))
    throw new ConfigError(HELP);
  const batchSize = batchSizeOf(values['batch-size']);
  const runtime: Pick<OperatorRuntime, 'rotateOrgKey' | 'listOrgs' | 'close'> = await openForAdmin(
    values,
    io,
  );
  try {
    const orgs = values.all ? (await runtime.listOrgs()).map((o) => o.name) : rest;
    return await rotateOrgs(
      runtime,
      orgs,
      { dropOld: !(values['keep-old'] ?? false), ...(batchSize === undefined ? {} : { batchSize }) },
      io,
    );
  } finally {
    await runtime.close();
  }
};

/** Rotates each org's data key; exit code 10 when some slots could not be re-encrypted. */
async function rotateOrgs(
  runtime: Pick<OperatorRuntime, 'rotateOrgKey'>,
  orgs: readonly string[],
  rotation: OrgRotationOptions,
  io: CliIo,
): Promise<number> {
  let failed = 0;
  for (const org of orgs) {
    const report = await runtime.rotateOrgKey(org, rotation);
    io.stderr(`${describe(report)}\n`);
    if (report.unreadable.length > 0) {
      failed += report.unreadable.length;
      io.stderr(
        `  ${report.unreadable.length} slots failed their integrity check and keep their old key: ${report.unreadable.join(', ')}\n`,
      );
    }
  }
  return failed > 0 ? 10 : 0;
}
