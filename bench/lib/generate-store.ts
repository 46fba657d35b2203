// Generates a benchmark store straight into SQLite, with the server's own code for everything that
// defines the format: schema (openRuntime migrates), orgs, data keys and tokens (the admin service),
// and sealing (sealSlotValue). Only the slot rows are inserted here, with one prepared statement in
// big transactions, because a million CreateSecret calls over HTTP would take an hour.
//
// Bundled by bench/lib/build.mjs and run as its own process:
//   node generate.cjs <out-dir> <orgs> <slots-per-org>
// Master key: DODIL_MASTER_KEY (base64). Writes <out-dir>/dodil.db and <out-dir>/tokens.json.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCOPES, normaliseRegistryHost } from '@dodil/shared';
import type { SecretValue } from '@dodil/shared';
import { sealSlotValue } from '../../packages/server/src/crypto/slot-cipher';
import { openRuntime } from '../../packages/server/src/runtime';
import { DATABASE_FILE } from '../../packages/server/src/storage/database';

/** Slot i of every org; slot 0 is the org's one registry slot (for the docker helper), the rest git. */
export const slotName = (i: number): string => `slot-${String(i).padStart(6, '0')}`;
const orgName = (i: number): string => `org-${String(i).padStart(4, '0')}`;

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function fakeToken(): string {
  const bytes = randomBytes(36);
  let s = 'ghp_';
  for (const b of bytes) s += BASE62[b % 62];
  return s;
}

async function main(): Promise<void> {
  const [outDir, orgsText, perOrgText] = process.argv.slice(2);
  const orgs = Number(orgsText);
  const perOrg = Number(perOrgText);
  const keyText = process.env.DODIL_MASTER_KEY;
  if (outDir === undefined || !(orgs > 0) || !(perOrg > 0) || keyText === undefined) {
    throw new Error('usage: DODIL_MASTER_KEY=… generate.cjs <out-dir> <orgs> <slots-per-org>');
  }
  const started = performance.now();
  const random = (n: number) => new Uint8Array(randomBytes(n));
  const runtime = await openRuntime({
    databaseFile: join(outDir, DATABASE_FILE),
    masterKey: new Uint8Array(Buffer.from(keyText, 'base64')),
  });
  const { db } = runtime;
  // Generation only: nothing here needs to survive a power cut, and fsyncs would dominate.
  db.pragma('synchronous = OFF');
  const insert = db.prepare(
    `INSERT INTO slots (org_id, name, type, registry_host, key_version, ciphertext, created_at_ms, updated_at_ms)
     VALUES (?, ?, ?, ?, 1, ?, ?, ?)`,
  );
  const count = db.prepare(
    'UPDATE org_keys SET encryptions = encryptions + ? WHERE org_id = ? AND version = 1',
  );
  const tokens: Array<{ org: string; token: string }> = [];
  const now = Date.now();
  const registryHost = normaliseRegistryHost('ghcr.io') ?? 'ghcr.io';
  const BATCH = 50_000;
  let pending = 0;
  const created = [];
  for (let o = 0; o < orgs; o++) {
    const org = await runtime.admin.createOrg(orgName(o));
    const { token } = await runtime.admin.createToken({ org: org.name, scopes: SCOPES, name: 'bench' });
    tokens.push({ org: org.name, token });
    created.push(org);
  }
  db.exec('BEGIN');
  for (const [o, org] of created.entries()) {
    const dek = await runtime.orgKeys.get(org.id, 1);
    for (let i = 0; i < perOrg; i++) {
      const name = slotName(i);
      const registry = i === 0;
      const value: SecretValue = registry
        ? { registrySecret: { username: `robot-${o}`, password: fakeToken(), serverAddress: 'ghcr.io' } }
        : { gitSecret: { username: `bot-${o}`, token: fakeToken() } };
      const type = registry ? 'registry_secret' : 'git_secret';
      const sealed = sealSlotValue(dek, { orgId: org.id, name, type, keyVersion: 1 }, value, random);
      insert.run(org.id, name, type, registry ? registryHost : null, Buffer.from(sealed), now, now);
      if (++pending >= BATCH) {
        db.exec('COMMIT');
        db.exec('BEGIN');
        pending = 0;
      }
    }
    count.run(perOrg, org.id);
  }
  db.exec('COMMIT');
  db.pragma('wal_checkpoint(TRUNCATE)');
  await runtime.close();
  writeFileSync(join(outDir, 'tokens.json'), `${JSON.stringify({ orgs, perOrg, tokens })}\n`, {
    mode: 0o600,
  });
  process.stdout.write(
    `${JSON.stringify({ orgs, perOrg, slots: orgs * perOrg, ms: Math.round(performance.now() - started) })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `generate-store: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
