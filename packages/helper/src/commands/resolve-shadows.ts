import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER_HUB_KEY, DOCKER_HUB_SERVER_URL, normaliseRegistryHost } from '@dodil/shared';
import type { Io } from '../io';
import {
  authsEntriesFor,
  containersDropInPath,
  dockerConfigPath,
  dropInInPlace,
  readJsonObject,
} from './container-auth';
import { effectiveHelpers, gitUrlMatches, isDodilHelper, runGit, type HelperEntry } from './git-config';

/** Something that answers before or instead of the slot, and the command that fixes it. */
export interface Shadow {
  what: string;
  fix: string;
}

/**
 * git: helpers git runs before dodil for the URL (and, for `store`, the
 * entries in its file), no dodil helper at all, and a pinned username that is
 * not the slot's.
 */
export async function gitShadows(
  io: Io,
  url: string,
  entries: readonly HelperEntry[],
  slot: string,
  slotUser: string | undefined,
): Promise<Shadow[]> {
  const shadows: Shadow[] = [];
  const effective = effectiveHelpers(entries);
  const ours = effective.findIndex((e) => isDodilHelper(e.value));
  const base = new URL(url).origin;
  const fix = `dodil setup git --url ${ours >= 0 && effective[ours]?.url ? effective[ours]?.url : base} --slot ${slot}`;
  if (ours < 0) {
    shadows.push({
      what: 'no dodil helper is configured for this URL in git config: git never asks the slot',
      fix,
    });
  }
  for (const e of ours < 0 ? effective : effective.slice(0, ours)) {
    shadows.push({
      what: `git ${e.key} ${JSON.stringify(e.value)} (${e.scope}) is asked before the slot`,
      fix,
    });
    if (/^store(\s|$)/.test(e.value)) {
      for (const file of storeFiles(io, e.value)) {
        for (const entry of storeEntries(file, url)) {
          shadows.push({
            what: `${file} holds a stored password for ${entry} (git's store helper answers it first)`,
            fix,
          });
        }
      }
    }
  }
  const pinned = await runGit(io, ['config', '--get-urlmatch', 'credential.username', url]).catch(
    () => undefined,
  );
  const user = pinned?.code === 0 ? pinned.stdout.trim() : decodeURIComponent(new URL(url).username);
  if (user !== '' && slotUser !== undefined && user !== slotUser) {
    shadows.push({
      what: `git asks for user "${user}" (credential.username or the URL), the slot belongs to "${slotUser}": other stores are searched for "${user}"`,
      fix: `git config --global --unset credential.username (or use the URL without a user)`,
    });
  }
  return shadows;
}

// git-credential-store(1): --file, else ~/.git-credentials and $XDG_CONFIG_HOME/git/credentials.
function storeFiles(io: Io, helper: string): string[] {
  const m = /--file[= ](\S+)/.exec(helper);
  if (m?.[1]) return [m[1].replace(/^~(?=\/)/, io.env.HOME ?? '~')];
  const home = io.env.HOME ?? '';
  return [
    join(home, '.git-credentials'),
    join(io.env.XDG_CONFIG_HOME ?? join(home, '.config'), 'git', 'credentials'),
  ];
}

// The store file's URLs (user included, password never) that git would answer for `url`.
function storeEntries(file: string, url: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let entry: URL;
    try {
      entry = new URL(line.trim());
    } catch {
      continue;
    }
    const shown = `${entry.protocol}//${entry.username ? `${entry.username}@` : ''}${entry.host}${entry.pathname === '/' ? '' : entry.pathname}`;
    const bare = `${entry.protocol}//${entry.host}${entry.pathname === '/' ? '' : entry.pathname}`;
    if (gitUrlMatches(bare, url)) out.push(shown);
  }
  return out;
}

/**
 * docker and the containers tools: stored logins (`auths`) for the registry
 * in any auth file, a `credsStore` that podman/buildah/skopeo ignore, another
 * helper named for the registry, and a missing containers drop-in.
 */
export function dockerShadows(
  env: Readonly<Record<string, string | undefined>>,
  key: string,
  slot: string | null,
): Shadow[] {
  const shadows: Shadow[] = [];
  const fix = `dodil setup docker ${key} --slot ${slot ?? 'NAME'}`;
  for (const e of authsEntriesFor(env, key)) {
    shadows.push({
      what: `${e.file.path} holds a stored login auths[${JSON.stringify(e.key)}] (read by ${e.file.readers}); it may answer instead of the slot and goes stale after a rotation`,
      fix: `${fix} --fix`,
    });
  }
  const docker = readJsonObject(dockerConfigPath(env)) ?? {};
  const helpers =
    typeof docker.credHelpers === 'object' && docker.credHelpers !== null
      ? (docker.credHelpers as Record<string, unknown>)
      : {};
  const keys = key === DOCKER_HUB_KEY ? [DOCKER_HUB_SERVER_URL, DOCKER_HUB_KEY] : [key];
  const named = Object.entries(helpers).filter(([k]) => normaliseRegistryHost(k) === key);
  for (const [k, helper] of named) {
    if (helper !== 'dodil')
      shadows.push({
        what: `${dockerConfigPath(env)}: credHelpers[${JSON.stringify(k)}] is ${JSON.stringify(helper)}, not dodil`,
        fix,
      });
  }
  const store = typeof docker.credsStore === 'string' ? docker.credsStore : undefined;
  const hasOurs = keys.some((k) => helpers[k] === 'dodil');
  let dropIn: boolean;
  try {
    dropIn = dropInInPlace(containersDropInPath(env));
  } catch {
    dropIn = false;
  }
  if (store !== undefined && store !== 'dodil' && !hasOurs) {
    shadows.push({
      what: `${dockerConfigPath(env)}: credsStore ${JSON.stringify(store)} answers for ${key} in docker, not dodil`,
      fix,
    });
  }
  if (store === 'dodil' && !hasOurs && !dropIn) {
    shadows.push({
      what: `${dockerConfigPath(env)}: credsStore "dodil" is ignored by podman, buildah and skopeo; they never ask the slot`,
      fix,
    });
  } else if (!dropIn && slot !== null) {
    shadows.push({
      what: 'podman, buildah and skopeo do not ask dodil first (no registries.conf.d drop-in): their own auth files win, and podman login does not rotate the slot',
      fix,
    });
  }
  return shadows;
}
