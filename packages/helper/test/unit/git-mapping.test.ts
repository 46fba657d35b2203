import { describe, expect, it } from 'vitest';
import type { GitMapping } from '../../src/config';
import { matchGitMapping } from '../../src/git/mapping';

const mappings: GitMapping[] = [
  { url: 'git.example.com', slot: 'host-only' },
  { url: 'https://git.example.com', slot: 'https-host' },
  { url: 'https://git.example.com/acme/', slot: 'acme' },
  { url: 'https://git.example.com/acme/tools', slot: 'acme-tools' },
  { url: 'git.example.com:8443', slot: 'port' },
  { url: 'http://[::1]:8080', slot: 'ipv6' },
  { url: 'GitHub.com', slot: 'github' },
];

describe('matchGitMapping', () => {
  it.each([
    ['https, no path → scheme-qualified host', { protocol: 'https', host: 'git.example.com' }, 'https-host'],
    // issue 13 item 9: a scheme-less entry answers https only (was: also cleartext http)
    [
      'http, no path → nothing (host-only entry is https-only)',
      { protocol: 'http', host: 'git.example.com' },
      undefined,
    ],
    ['path under acme', { protocol: 'https', host: 'git.example.com', path: 'acme/repo.git' }, 'acme'],
    [
      'longest path wins',
      { protocol: 'https', host: 'git.example.com', path: 'acme/tools/x.git' },
      'acme-tools',
    ],
    [
      'prefix only at a / boundary',
      { protocol: 'https', host: 'git.example.com', path: 'acme-evil/x.git' },
      'https-host',
    ],
    ['port is part of the host', { protocol: 'https', host: 'git.example.com:8443' }, 'port'],
    ['another port does not match', { protocol: 'https', host: 'git.example.com:9999' }, undefined],
    ['host case is ignored', { protocol: 'https', host: 'GITHUB.COM' }, 'github'],
    ['IPv6 keeps brackets', { protocol: 'http', host: '[::1]:8080' }, 'ipv6'],
    ['IPv6 on https does not match http pattern', { protocol: 'https', host: '[::1]:8080' }, undefined],
    ['unknown host', { protocol: 'https', host: 'evil.example.com' }, undefined],
    ['suffix of a mapped host does not match', { protocol: 'https', host: 'xgit.example.com' }, undefined],
  ])('%s', (_name, target, slot) => {
    expect(matchGitMapping(mappings, target)?.slot).toBe(slot);
  });

  it('an http request that only a scheme-less entry would match: one line saying how to allow it', () => {
    const lines: string[] = [];
    expect(
      matchGitMapping(mappings, { protocol: 'http', host: 'git.example.com:8443' }, (l) => lines.push(l)),
    ).toBeUndefined();
    expect(lines).toEqual([
      'mapping "git.example.com:8443" has no scheme, so it answers https only; to send this slot over cleartext http, ' +
        'map "http://git.example.com:8443" instead (dodil setup git --url http://git.example.com:8443 --slot NAME)',
    ]);
    // an explicit http:// entry answers, silently
    lines.length = 0;
    expect(
      matchGitMapping([{ url: 'http://h', slot: 'plain' }], { protocol: 'http', host: 'h' }, (l) =>
        lines.push(l),
      )?.slot,
    ).toBe('plain');
    expect(lines).toEqual([]);
  });

  it.each([
    ['.. leaves the mapped path', 'acme/../evil/x.git', 'https-host'],
    ['.. back into the mapped path', 'evil/../acme/x.git', 'acme'],
    ['. segments are dropped', './acme/./tools/x.git', 'acme-tools'],
    ['percent-encoded dots are dots', 'acme/%2e%2E/evil/x.git', 'https-host'],
    ['.. above the root stays at the root', '../../acme/x.git', 'acme'],
  ])('path segments are resolved as git resolves them: %s', (_name, path, slot) => {
    expect(matchGitMapping(mappings, { protocol: 'https', host: 'git.example.com', path })?.slot).toBe(slot);
  });

  it('the first of equally specific entries wins', () => {
    expect(
      matchGitMapping(
        [
          { url: 'h', slot: 'a' },
          { url: 'h', slot: 'b' },
        ],
        { protocol: 'https', host: 'h' },
      )?.slot,
    ).toBe('a');
  });

  it('ignores entries that are not hosts or URLs', () => {
    expect(
      matchGitMapping(
        [
          { url: 'user@h', slot: 'a' },
          { url: ' ', slot: 'b' },
        ],
        { protocol: 'https', host: 'h' },
      ),
    ).toBeUndefined();
  });
});
