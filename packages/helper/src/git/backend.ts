import { createApiClient, type ApiClient } from '../api-client';
import { CliError, isCliError } from '../errors';
import type { Io } from '../io';
import { resolveSettings, type ClientSettings } from '../settings';
import { liteValidators } from '../wire/lite';
import { describeTarget, matchGitMapping, type GitTarget } from './mapping';
import { isSafeValue } from './protocol';

/** A username and password git can take. */
export interface GitCredential {
  username: string;
  password: string;
}

/**
 * Where git credentials come from (the "backend" half of the helper, like
 * docker-credential-helpers' `Helper`). The protocol half (handler.ts) parses
 * git's lines and prints the answer; a backend only finds or judges values.
 */
export interface GitBackend {
  /** The credential for `target`; throws a {@link CliError} saying why there is none. */
  get(target: GitTarget, askedUser: string | undefined): Promise<GitCredential>;
  /** git rejected `rejected` for `target`: a line for stderr (never a value), or undefined to stay silent. */
  erase(target: GitTarget, rejected: Partial<GitCredential>): Promise<string | undefined>;
}

/** The dodil backend: a slot from `--slot` or the client-config mapping, read with GetSecret. */
export function dodilGitBackend(
  opts: { slot?: string | undefined; url?: string | undefined; caFile?: string | undefined },
  io: Io,
): GitBackend {
  let settings: ClientSettings | undefined;
  const settingsOf = () => (settings ??= resolveSettings({ url: opts.url, caFile: opts.caFile }, io.env));
  const clientOf = (): ApiClient => createApiClient(settingsOf().server, io.transport, liteValidators);
  // The slot for a target, and the one line to say when none matched only because of the scheme.
  const slotFor = (target: GitTarget): { slot?: string; why?: string } => {
    if (opts.slot !== undefined) return { slot: opts.slot };
    let why: string | undefined;
    const slot = matchGitMapping(settingsOf().config.mappings.git, target, (line) => (why = line))?.slot;
    return slot === undefined ? { why } : { slot };
  };

  async function read(slot: string): Promise<GitCredential> {
    let secret;
    try {
      secret = await clientOf().getSecret(slot);
    } catch (error) {
      if (isCliError(error)) throw new CliError(error.code, `slot "${slot}": ${error.message}`);
      throw error;
    }
    if (!('gitSecret' in secret.value)) {
      throw new CliError(
        'FAILED_PRECONDITION',
        `slot "${slot}" is a registry slot; git needs a git slot (--type git)`,
      );
    }
    const { username, token } = secret.value.gitSecret;
    if (username === '' || token === '' || !isSafeValue(username) || !isSafeValue(token)) {
      throw new CliError(
        'FAILED_PRECONDITION',
        `slot "${slot}" holds a value git cannot take (empty, or with CR/LF/NUL)`,
      );
    }
    return { username, password: token };
  }

  return {
    async get(target, askedUser) {
      const { slot, why } = slotFor(target);
      if (slot === undefined) {
        throw new CliError(
          'NOT_FOUND',
          why ??
            `no slot for ${describeTarget(target)}: pass --slot NAME or run \`dodil setup git --url URL --slot NAME\``,
        );
      }
      const credential = await read(slot);
      if (askedUser !== undefined && askedUser !== '' && askedUser !== credential.username) {
        io.stderr(
          `dodil: git asked for user "${askedUser}"; answering with slot "${slot}", which belongs to "${credential.username}"\n`,
        );
      }
      return credential;
    },

    async erase(target, rejected) {
      let slot: string | undefined;
      try {
        slot = slotFor(target).slot;
      } catch {
        slot = opts.slot;
      }
      if (slot === undefined) return undefined;
      const where = describeTarget(target);
      const unchanged = `slot "${slot}" was left unchanged on the server`;
      if (rejected.password === undefined) return `git rejected the credential for ${where}; ${unchanged}`;
      let current: GitCredential;
      try {
        // A read only: erase never changes the server (a failed clone must not delete the org's slot).
        current = await read(slot);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        return `git rejected the credential for ${where}; ${unchanged} (not compared with the slot: ${why})`;
      }
      if (
        current.password === rejected.password &&
        (rejected.username === undefined || rejected.username === current.username)
      ) {
        return (
          `git rejected slot "${slot}"'s current value for ${where}: the token is wrong, expired or lacks access; ${unchanged}; ` +
          `rotate it with: dodil ignite secret create ${slot} --type git --username ${current.username} --token-stdin`
        );
      }
      return (
        `git rejected a credential for ${where} that is not slot "${slot}"'s current value: it came from another ` +
        `credential helper or store (run: dodil resolve ${where}); ${unchanged}; ` +
        `\`dodil setup git --url URL --slot ${slot}\` makes git ask only dodil for that URL`
      );
    },
  };
}
