import { normaliseRegistryHost } from '@dodil/shared';
import { dockerMappingFor } from '../docker/mapping';
import { CliError, isCliError, missingError, usageError } from '../errors';
import { describeTarget, matchGitMapping, type GitTarget } from '../git/mapping';
import { boolFlag } from './argv';
import { clientOf, settingsOf, type Command, type CommandContext } from './context';
import { formatJson } from './output';
import { helperEntriesFor, runGit } from './git-config';
import { dockerShadows, gitShadows, type Shadow } from './resolve-shadows';

const USAGE = `usage: dodil resolve GIT_URL|REGISTRY [--git|--docker] [-o json]

Says which slot the credential helper would use for a git remote URL or a
registry, and why, and names every store that would answer before or instead
of it (git helpers and store files, auths entries in docker/containers auth
files, a credsStore that podman ignores) with the fix. Never prints a value. Exit 0 when a slot is found, 5 when not.
http(s) URLs are git remotes unless they name Docker Hub; use --docker/--git to choose.`;

interface Resolution {
  kind: 'git' | 'docker';
  input: string;
  key: string;
  slot: string | null;
  reason: string;
  server?: string;
  /** What answers before or instead of the slot, each with its fix. */
  shadows: Shadow[];
}

/** `dodil resolve` */
export const resolveCommand: Command = {
  path: ['resolve'],
  summary: 'show which slot the helper would use, and why',
  usage: USAGE,
  flags: { git: { kind: 'boolean' }, docker: { kind: 'boolean' } },
  async run(ctx) {
    const [input, ...extra] = ctx.args.positionals;
    if (input === undefined)
      throw missingError(
        'GIT_URL or REGISTRY',
        'a git remote such as https://github.com/acme/x.git, or a registry such as ghcr.io',
        USAGE,
      );
    if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const forceGit = boolFlag(ctx.args, 'git');
    const forceDocker = boolFlag(ctx.args, 'docker');
    if (forceGit && forceDocker) throw usageError('give --git or --docker, not both');
    const looksGit = /^https?:\/\//i.test(input) && normaliseRegistryHost(input) !== 'docker.io';
    const result =
      forceGit || (!forceDocker && looksGit) ? await resolveGit(ctx, input) : await resolveDocker(ctx, input);
    if (ctx.json) ctx.io.stdout(formatJson(result));
    else {
      const lines = [
        `${result.kind} ${result.key}`,
        `  slot:   ${result.slot ?? '(none)'}`,
        `  why:    ${result.reason}`,
      ];
      if (result.server !== undefined) lines.push(`  server: ${result.server}`);
      for (const sh of result.shadows) lines.push(`  shadow: ${sh.what}`, `  fix:    ${sh.fix}`);
      ctx.io.stdout(`${lines.join('\n')}\n`);
    }
    return result.slot === null ? 5 : 0;
  },
};

async function resolveGit(ctx: CommandContext, input: string): Promise<Resolution> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw usageError(`${JSON.stringify(input)} is not a URL`);
  }
  const protocol = url.protocol.replace(/:$/, '');
  const path = url.pathname.replace(/^\//, '');
  // What git sends by default (no path unless credential.useHttpPath=true).
  const target: GitTarget = { protocol, host: url.host };
  const base: Resolution = {
    kind: 'git',
    input,
    key: describeTarget(target),
    slot: null,
    reason: '',
    shadows: [],
  };
  const configured = await runGit(ctx.io, ['config', '--get-urlmatch', 'credential.helper', input]).catch(
    () => undefined,
  );
  const helper = configured?.code === 0 ? configured.stdout.trim() : '';
  const m = /(?:^|\s|\/)(?:git-credential-)?dodil(?:\s+credential\s+git)?\s+--slot[= ](\S+)/.exec(helper);
  let result: Resolution;
  if (m?.[1]) {
    result = {
      ...base,
      slot: m[1],
      reason: `git config credential.helper for this URL is ${JSON.stringify(helper)}`,
    };
  } else {
    const settings = settingsOf(ctx);
    let schemeNote: string | undefined;
    const match = matchGitMapping(settings.config.mappings.git, target, (line) => (schemeNote = line));
    const withPath =
      path === '' ? undefined : matchGitMapping(settings.config.mappings.git, { ...target, path });
    if (match) result = { ...base, slot: match.slot, reason: `${match.reason} in ${settings.configPath}` };
    else if (withPath) {
      result = {
        ...base,
        reason: `${withPath.reason} (slot ${withPath.slot}) matches only when git sends the path: git config credential.useHttpPath true`,
      };
    } else {
      const why =
        helper === ''
          ? 'no credential.helper for this URL in git config'
          : `git config credential.helper is ${JSON.stringify(helper)}`;
      result = { ...base, reason: schemeNote ?? `${why}, and no mapping in ${settings.configPath}` };
    }
  }
  if (result.slot !== null) {
    const described = await describeSlot(ctx, result.slot, 'git');
    result.server = described.text;
    const entries = await helperEntriesFor(ctx.io, `${protocol}://${url.host}${url.pathname}`);
    result.shadows = await gitShadows(ctx.io, input, entries, result.slot, described.username);
  }
  return result;
}

async function resolveDocker(ctx: CommandContext, input: string): Promise<Resolution> {
  const key = normaliseRegistryHost(input);
  if (key === undefined) throw usageError(`${JSON.stringify(input)} is not a registry host`);
  const base: Resolution = { kind: 'docker', input, key, slot: null, reason: '', shadows: [] };
  const result = await resolveDockerSlot(ctx, input, key, base);
  return { ...result, shadows: dockerShadows(ctx.io.env, key, result.slot) };
}

async function resolveDockerSlot(
  ctx: CommandContext,
  input: string,
  key: string,
  base: Resolution,
): Promise<Resolution> {
  const settings = settingsOf(ctx);
  const mapped = dockerMappingFor(settings.config.mappings.docker, key);
  if (mapped !== undefined) {
    return {
      ...base,
      slot: mapped,
      reason: `mapping in ${settings.configPath}`,
      server: (await describeSlot(ctx, mapped, 'registry')).text,
    };
  }
  let names: string[];
  try {
    const { secrets } = await clientOf(ctx, settings).registrySecrets(input);
    names = secrets
      .filter((s) => normaliseRegistryHost(s.value.registrySecret.serverAddress) === key)
      .map((s) => s.metadata.name);
  } catch (error) {
    if (!isCliError(error)) throw error;
    throw new CliError(error.code, `no mapping for ${key}, and the server cannot say: ${error.message}`);
  }
  const [only] = names;
  if (only !== undefined && names.length === 1) {
    return {
      ...base,
      slot: only,
      reason: `no mapping; the org's only registry slot whose server address is ${key}`,
    };
  }
  if (names.length > 1) {
    return {
      ...base,
      reason: `no mapping, and several registry slots match: ${names.join(', ')} (docker get fails; run dodil setup docker ${key} --slot NAME)`,
    };
  }
  return {
    ...base,
    reason:
      'no mapping and no registry slot with this server address; docker get answers "credentials not found"',
  };
}

// The slot as the server has it (never its value), and its username for the pinned-user check.
async function describeSlot(
  ctx: CommandContext,
  slot: string,
  want: 'git' | 'registry',
): Promise<{ text: string; username?: string }> {
  try {
    const secret = await clientOf(ctx).getSecret(slot);
    const type = 'gitSecret' in secret.value ? 'git' : 'registry';
    const username =
      'gitSecret' in secret.value ? secret.value.gitSecret.username : secret.value.registrySecret.username;
    return type === want
      ? { text: `slot exists (type ${type})`, username }
      : { text: `slot exists but is a ${type} slot; the helper refuses it` };
  } catch (error) {
    if (isCliError(error) && error.code === 'NOT_FOUND')
      return { text: 'slot does not exist on the server; the helper will answer nothing' };
    if (isCliError(error)) return { text: `not checked: ${error.message}` };
    throw error;
  }
}
