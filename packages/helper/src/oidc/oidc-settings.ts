import { join } from 'node:path';

/** Where the helper gets a CI job's OIDC JWT from (docs/contract.md#least-privilege), read from the environment once. */
export interface OidcSettings {
  org: string;
  /** The trust to name in the exchange (`DODIL_OIDC_TRUST`); absent: the server picks the one that matches. */
  trust: string | undefined;
  source:
    | { kind: 'token'; jwt: string }
    | { kind: 'file'; path: string }
    | { kind: 'github'; requestUrl: string; requestToken: string; audience: string };
  /** Private directory of the minted-token cache. */
  cacheDir: string;
}

/** The audience asked of GitHub Actions when `DODIL_OIDC_AUDIENCE` is unset. */
export const DEFAULT_OIDC_AUDIENCE = 'dodil';

type Env = Readonly<Record<string, string | undefined>>;

const set = (v: string | undefined): v is string => v !== undefined && v !== '';

/** The user's cache directory: `$XDG_CACHE_HOME`, else `~/Library/Caches` on macOS, else `~/.cache`. */
function userCacheDir(env: Env, platform: string): string | undefined {
  if (set(env.XDG_CACHE_HOME)) return env.XDG_CACHE_HOME;
  const home = env.HOME ?? env.USERPROFILE;
  if (!set(home)) return undefined;
  if (platform === 'darwin') return join(home, 'Library', 'Caches');
  if (platform === 'win32' && set(env.LOCALAPPDATA)) return env.LOCALAPPDATA;
  return join(home, '.cache');
}

/**
 * The OIDC settings when the helper should exchange by itself: no token given
 * and `DODIL_ORG` set, with a JWT from `DODIL_OIDC_TOKEN`, the file named by
 * `DODIL_OIDC_TOKEN_FILE` (re-read each time), or GitHub Actions' token
 * endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`,
 * audience `DODIL_OIDC_AUDIENCE`). Undefined otherwise.
 */
export function oidcSettingsFrom(env: Env, platform: string = 'linux'): OidcSettings | undefined {
  if (!set(env.DODIL_ORG)) return undefined;
  let source: OidcSettings['source'];
  if (set(env.DODIL_OIDC_TOKEN)) source = { kind: 'token', jwt: env.DODIL_OIDC_TOKEN.trim() };
  else if (set(env.DODIL_OIDC_TOKEN_FILE)) source = { kind: 'file', path: env.DODIL_OIDC_TOKEN_FILE };
  else if (set(env.ACTIONS_ID_TOKEN_REQUEST_URL) && set(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)) {
    source = {
      kind: 'github',
      requestUrl: env.ACTIONS_ID_TOKEN_REQUEST_URL,
      requestToken: env.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
      audience: set(env.DODIL_OIDC_AUDIENCE) ? env.DODIL_OIDC_AUDIENCE : DEFAULT_OIDC_AUDIENCE,
    };
  } else return undefined;
  // $RUNNER_TEMP is per job on GitHub/Forgejo runners: nothing outlives the job there.
  const base = set(env.RUNNER_TEMP) ? env.RUNNER_TEMP : userCacheDir(env, platform);
  if (base === undefined) return undefined;
  return {
    org: env.DODIL_ORG,
    trust: set(env.DODIL_OIDC_TRUST) ? env.DODIL_OIDC_TRUST : undefined,
    source,
    cacheDir: join(base, 'dodil-oidc'),
  };
}
