import { chmodSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './harness';

/**
 * The read-only data dir written by release 0.1.0 (see its README): `DODIL_FIXTURE_0_1_0`, or the
 * first `shared/fixtures/store-0.1.0` found walking up from this repository (the checkout sits
 * beside `shared/`, or deeper in a worktree).
 */
export const FIXTURE_0_1_0 = findFixture();

function findFixture(): string {
  const given = process.env.DODIL_FIXTURE_0_1_0;
  if (given !== undefined && given !== '') return given;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    const candidate = join(dir, 'shared', 'fixtures', 'store-0.1.0');
    if (existsSync(join(candidate, 'dodil.db'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('the 0.1.0 fixture (shared/fixtures/store-0.1.0) was not found; set DODIL_FIXTURE_0_1_0');
}

/** A writable copy of the 0.1.0 data dir: its database, its master key file (mode 600) and its tokens. */
export function copyFixture010() {
  const dir = tempDir('dodil-fixture-');
  copyFileSync(join(FIXTURE_0_1_0, 'dodil.db'), join(dir, 'dodil.db'));
  chmodSync(join(dir, 'dodil.db'), 0o600);
  const keyFile = join(tempDir('dodil-key-'), 'master.key');
  copyFileSync(join(FIXTURE_0_1_0, 'master.key'), keyFile);
  chmodSync(keyFile, 0o600);
  const tokens = JSON.parse(readFileSync(join(FIXTURE_0_1_0, 'tokens.json'), 'utf8')) as Record<
    'all' | 'revoked' | 'other',
    string
  >;
  return { dir, keyFile, tokens };
}

/** Every slot of the fixture with the value 0.1.0 stored, as GetSecret renders it. */
export function fixtureSlots(): Array<{ org: 'acme' | 'other'; name: string; value: unknown }> {
  const git = (username: string, token: string) => ({ gitSecret: { username, token } });
  return [
    { org: 'acme', name: 'gh-clone', value: git('octocat', 'ghp_fixtureROTATED') },
    {
      org: 'acme',
      name: 'ghcr-pull',
      value: { registrySecret: { username: 'bot', password: 'fixture-REG-pw', serverAddress: 'ghcr.io' } },
    },
    // The README names only the tokens of bulk-N; 0.1.0 stored them with username `u`.
    ...Array.from({ length: 30 }, (_, i) => ({
      org: 'acme' as const,
      name: `bulk-${i + 1}`,
      value: git('u', `bulk-value-${i + 1}`),
    })),
    { org: 'other', name: 'gh-clone', value: git('other', 'ghp_otherORG') },
  ];
}
