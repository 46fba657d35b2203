import { isSlotName, SLOT_NAME_RULE } from '@dodil/shared';
import { CliError, isCliError, missingError, usageError } from '../errors';
import { boolFlag, stringFlag } from './argv';
import { clientOf, type Command, type CommandContext } from './context';
import { effectiveHelpers, helperEntriesFor, isDodilHelper, runGit, type HelperEntry } from './git-config';
import { helperOnPath } from './path-lookup';
import { formatJson } from './output';

const USAGE = `usage: dodil setup git --url URL --slot NAME [--force] [-o json]

Writes, in your global git config (git config --global):
  credential.<URL>.helper = ""                 (git's reset: helpers configured
                                                elsewhere are not asked for URL)
  credential.<URL>.helper = "dodil --slot NAME"
so git asks dodil, and only dodil, for that URL: a "store" or "cache" helper
can never answer a stale value after a rotation. An earlier "dodil --slot ..."
entry for the same URL is replaced; running it twice changes nothing.
The slot must exist and be a git slot (--force writes the entries anyway).`;

/** `dodil setup git` */
export const setupGitCommand: Command = {
  path: ['setup', 'git'],
  summary: 'make git use a slot for a URL',
  usage: USAGE,
  flags: { url: { kind: 'string' }, slot: { kind: 'string' }, force: { kind: 'boolean' } },
  async run(ctx) {
    if (ctx.args.positionals.length > 0)
      throw usageError(`unexpected argument ${JSON.stringify(ctx.args.positionals[0])}`);
    const url = stringFlag(ctx.args, 'url');
    const slot = stringFlag(ctx.args, 'slot');
    if (url === undefined)
      throw missingError('--url', "the git remote's base URL, such as --url https://git.example.com", USAGE);
    if (slot === undefined)
      throw missingError('--slot', 'the git slot to answer with, such as --slot gh-clone', USAGE);
    if (!isSlotName(slot)) throw usageError(`invalid slot name ${JSON.stringify(slot)}: ${SLOT_NAME_RULE}`);
    if (!/^https?:\/\/[^\s/]+(\/\S*)?$/i.test(url)) {
      throw usageError(
        `--url must be an http:// or https:// URL such as https://git.example.com, not ${JSON.stringify(url)}`,
      );
    }
    const force = boolFlag(ctx.args, 'force');
    const problem = await slotProblem(ctx, slot);
    if (problem && !force)
      throw new CliError(
        problem.code,
        `${problem.message}; nothing was changed (--force writes the entries anyway)`,
      );
    if (problem) ctx.io.stderr(`dodil: warning: ${problem.message}\n`);

    const key = `credential.${url}.helper`;
    const value = `dodil --slot ${slot}`;
    const before = await helperEntriesFor(ctx.io, url);
    const current = await runGit(ctx.io, ['config', '--global', '--get-all', key]);
    const values =
      current.code === 0
        ? current.stdout.split('\n').filter((v, i, all) => i < all.length - 1 || v !== '')
        : [];
    const previous = values.filter((v) => isDodilHelper(v) && v !== value);
    const ours = values.filter((v) => v === '' || isDodilHelper(v));
    const inPlace =
      values.length >= 2 &&
      values[values.length - 2] === '' &&
      values[values.length - 1] === value &&
      ours.length === 2;
    let change: 'unchanged' | 'added' | 'replaced' = 'unchanged';
    if (!inPlace) {
      // Our own entries (dodil and resets) go; other helpers stay in the file, and the reset
      // appended after them keeps git from asking them for this URL.
      if (ours.length > 0)
        await git(ctx, [
          'config',
          '--global',
          '--unset-all',
          key,
          '^$|(^|[[:space:]/!])(git-credential-)?dodil([[:space:]]|$)',
        ]);
      await git(ctx, ['config', '--global', '--add', key, '']);
      await git(ctx, ['config', '--global', '--add', key, value]);
      change = previous.length > 0 ? 'replaced' : values.includes(value) ? 'replaced' : 'added';
    }
    // What git ran for this URL before, other than us: the helpers the reset now skips.
    const skipped = effectiveHelpers(before).filter((e) => !isDodilHelper(e.value));
    if (!helperOnPath(ctx.io.env, 'git-credential-dodil')) {
      ctx.io.stderr(
        'dodil: warning: git-credential-dodil is not on PATH; git will not find the helper (install the links next to dodil)\n',
      );
    }
    if (ctx.json) {
      ctx.io.stdout(
        formatJson({ key, value, reset: true, change, previous, skipped: skipped.map(describe) }),
      );
      return 0;
    }
    const was = previous.length > 0 ? ` (was ${previous.map((p) => JSON.stringify(p)).join(', ')})` : '';
    ctx.io.stdout(`git config --global ${key} = "" then ${JSON.stringify(value)}: ${change}${was}\n`);
    for (const e of skipped) {
      ctx.io.stdout(
        `  replaced for this URL: helper ${JSON.stringify(e.value)} (${describe(e)}) is no longer asked\n`,
      );
    }
    return 0;
  },
};

function describe(e: HelperEntry): string {
  return `${e.scope} ${e.key}`;
}

async function git(ctx: CommandContext, args: string[]): Promise<void> {
  const r = await runGit(ctx.io, args);
  if (r.code !== 0)
    throw new CliError('FAILED_PRECONDITION', `git ${args.slice(0, 3).join(' ')} failed: ${r.stderr.trim()}`);
}

// Why the slot cannot serve git, or undefined when it can.
async function slotProblem(
  ctx: CommandContext,
  slot: string,
): Promise<{ code: CliError['code']; message: string } | undefined> {
  try {
    const secret = await clientOf(ctx).getSecret(slot);
    if ('gitSecret' in secret.value) return undefined;
    return {
      code: 'FAILED_PRECONDITION',
      message: `slot "${slot}" is a registry slot; git needs a git slot (--type git)`,
    };
  } catch (error) {
    if (!isCliError(error)) throw error;
    if (error.code === 'NOT_FOUND') {
      return {
        code: 'NOT_FOUND',
        message: `slot "${slot}" does not exist; create it with: dodil ignite secret create ${slot} --type git --username USER --token-stdin`,
      };
    }
    return { code: error.code, message: `cannot check slot "${slot}": ${error.message}` };
  }
}
