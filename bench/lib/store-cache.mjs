// Cached benchmark stores live in bench/.cache/stores/<format hash>-<orgs>x<slots per org>. The
// hash covers every source file that decides what a generated row looks like, so a change to the
// schema, the sealing or the generator makes a fresh store instead of measuring a stale one.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

// Bump when the generator's output changes in a way the source hash can't see.
const STORE_FORMAT = 1;
const FORMAT_SOURCES = [
  'bench/lib/generate-store.ts',
  'packages/server/src/storage/migrations.ts',
  'packages/server/src/crypto/aead.ts',
  'packages/server/src/crypto/slot-cipher.ts',
  'packages/server/src/crypto/api-token.ts',
  'packages/server/src/crypto/master-key.ts',
  'packages/server/src/crypto/org-keys.ts',
];

/** Hash of the store format of the tree at `repo`. */
export function formatHash(repo) {
  const h = createHash('sha256').update(`format ${STORE_FORMAT}\n`);
  for (const f of FORMAT_SOURCES) {
    const file = join(repo, f);
    h.update(`${f}\n`).update(existsSync(file) ? readFileSync(file) : '');
  }
  return h.digest('hex').slice(0, 12);
}

/** The cached store directory for a size, or undefined when it has not been generated yet. */
export function cachedStore(repo, storesDir, orgs, perOrg) {
  const dir = join(storesDir, `${formatHash(repo)}-${orgs}x${perOrg}`);
  return existsSync(join(dir, 'tokens.json')) ? dir : undefined;
}

/** Removes stores of other formats (a 1M store is ~200 MB). */
export function pruneStores(repo, storesDir) {
  if (!existsSync(storesDir)) return;
  const current = `${formatHash(repo)}-`;
  for (const d of readdirSync(storesDir))
    if (!d.startsWith(current)) rmSync(join(storesDir, d), { recursive: true, force: true });
}
