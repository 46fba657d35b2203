import type { GitMapping } from '../config';

/** What git told us about the remote: protocol, host (with port), optional path. */
export interface GitTarget {
  protocol: string;
  host: string;
  path?: string | undefined;
}

/** The chosen mapping and why it matched. */
export interface GitMatch {
  slot: string;
  mapping: GitMapping;
  reason: string;
}

interface Pattern {
  protocol?: string;
  host: string;
  pathSegments: string[];
}

// "github.com", "git.example.com:8443", "https://github.com/acme/", "http://[::1]:8080/x"
function parsePattern(raw: string): Pattern | undefined {
  const m = /^(?:([a-z][a-z0-9+.-]*):\/\/)?([^/\s]+)(\/.*)?$/i.exec(raw.trim());
  if (!m) return undefined;
  const host = (m[2] ?? '').toLowerCase();
  if (host.includes('@')) return undefined;
  return { protocol: m[1]?.toLowerCase(), host, pathSegments: segments(m[3] ?? '') };
}

/**
 * Path segments after git's URL normalisation (urlmatch.c url_normalize):
 * unreserved percent-escapes decoded, `.` dropped and `..` removing the one
 * before it, so `acme/../evil/x.git` is `evil/x.git` for matching as for git.
 */
export function segments(path: string): string[] {
  const out: string[] = [];
  for (const raw of path.split('/')) {
    const seg = raw.replace(/%([0-9a-f]{2})/gi, (all, hex: string) => {
      const c = String.fromCharCode(parseInt(hex, 16));
      return /[A-Za-z0-9\-._~]/.test(c) ? c : all.toUpperCase();
    });
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out;
}

/**
 * Picks the mapping for a git request. Rules (docs/helper.md): the host
 * (with its port) must be equal, ignoring case; a pattern with a scheme must
 * have the same protocol, and one without a scheme answers https only
 * (cleartext http needs an explicit `http://` mapping; `warn` gets one line
 * saying so when that is what kept a request unanswered); a pattern with a
 * path only matches when git sent a path (credential.useHttpPath=true) that
 * starts with it at a `/` boundary, both after `.`/`..` are resolved. The
 * most specific match wins: longest path, then a scheme, then the first in
 * the file.
 */
export function matchGitMapping(
  mappings: readonly GitMapping[],
  target: GitTarget,
  warn?: (line: string) => void,
): GitMatch | undefined {
  const host = target.host.toLowerCase();
  const protocol = target.protocol.toLowerCase();
  const requestPath = target.path === undefined ? undefined : segments(target.path);
  let best: { match: GitMatch; score: number } | undefined;
  let blockedHttp: string | undefined;
  for (const mapping of mappings) {
    const pattern = parsePattern(mapping.url);
    if (!pattern || pattern.host !== host) continue;
    if (pattern.protocol !== undefined && pattern.protocol !== protocol) continue;
    if (pattern.protocol === undefined && protocol !== 'https') {
      if (protocol === 'http') blockedHttp ??= mapping.url;
      continue;
    }
    if (pattern.pathSegments.length > 0) {
      if (requestPath === undefined) continue;
      if (pattern.pathSegments.some((seg, i) => requestPath[i] !== seg)) continue;
    }
    const score = pattern.pathSegments.length * 2 + (pattern.protocol === undefined ? 0 : 1);
    if (!best || score > best.score) {
      best = {
        match: {
          slot: mapping.slot,
          mapping,
          reason: `client config mapping ${JSON.stringify(mapping.url)}`,
        },
        score,
      };
    }
  }
  if (!best && blockedHttp !== undefined) {
    warn?.(
      `mapping ${JSON.stringify(blockedHttp)} has no scheme, so it answers https only; to send this slot over ` +
        `cleartext http, map "http://${blockedHttp}" instead (dodil setup git --url http://${blockedHttp} --slot NAME)`,
    );
  }
  return best?.match;
}

/** The target as a URL, for messages. */
export function describeTarget(target: GitTarget): string {
  return `${target.protocol}://${target.host}${target.path === undefined ? '' : `/${target.path}`}`;
}
