// Why GetSecret @1M costs more than @1k, in isolation: `npx tsx bench/micro/many-orgs.ts`.
// CPU µs (process.cpuUsage) per operation, with the operands spread over N orgs the way the bench's
// stores spread them (1k: 10 orgs, 1M: 1000), each op on a random one:
//   - GcmKey.open of an 86-byte value: each org's key context (expanded key, GHASH table) is its own
//     memory, so 1000 of them no longer fit the CPU caches;
//   - the slot read (`SELECT * FROM slots WHERE org_id = ? AND name = ?`) on the bench's cached 1k
//     and 1M stores (run `npm run bench` once first), at SQLite's default page cache and larger ones;
//   - a token's last-use write (auth-service.ts: once per token per minute, an autocommit UPDATE
//     with synchronous = FULL on the event loop) for every token of a copy of the 1M store: what a
//     1000-token store pays each minute, wall and CPU time.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gcm } from '@noble/ciphers/aes.js';
import Database from 'better-sqlite3';
import { GcmKey } from '../../packages/server/src/crypto/gcm-key';

function cpu(name: string, n: number, fn: (i: number) => void): void {
  for (let i = 0; i < Math.min(n, 5000); i++) fn(i);
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(i);
  const used = process.cpuUsage(start);
  console.log(`${name.padEnd(52)} ${((used.user + used.system) / n).toFixed(2).padStart(7)} µs`);
}

const nonce = new Uint8Array(randomBytes(12));
const aad = new TextEncoder().encode(
  ['dodil.slot.v1', 'a'.repeat(24), 'slot-000123', 'git_secret', '1'].join('\0'),
);
const plain = new TextEncoder().encode(
  JSON.stringify({ gitSecret: { username: 'bot-12', token: `ghp_${'x'.repeat(36)}` } }),
);
const orgsOf = (n: number) =>
  Array.from({ length: n }, () => {
    const key = new Uint8Array(randomBytes(32));
    return { ctx: new GcmKey(key), sealed: gcm(key, nonce, aad).encrypt(plain) };
  });
const all = orgsOf(1000);
const rand = (n: number) => Math.floor(Math.random() * n);

const stores = join(import.meta.dirname, '../.cache/stores');
const storeOf = (shape: string) => {
  const dir = existsSync(stores) ? readdirSync(stores).find((d) => d.endsWith(`-${shape}`)) : undefined;
  return dir === undefined ? undefined : join(stores, dir, 'dodil.db');
};

for (let round = 0; round < 2; round++) {
  for (const n of [10, 100, 1000]) {
    cpu(`GcmKey.open, random org of ${n}`, 200_000, () => {
      const o = all[rand(n)];
      o.ctx.open(nonce, aad, o.sealed);
    });
  }
  for (const [shape, orgs, perOrg] of [
    ['10x100', 10, 100],
    ['1000x1000', 1000, 1000],
  ] as const) {
    const file = storeOf(shape);
    if (file === undefined) continue;
    for (const cache of [-2000, -16384, -65536]) {
      const db = new Database(file, { readonly: true });
      db.pragma(`cache_size = ${cache}`);
      const orgIds = db.prepare('SELECT id FROM orgs ORDER BY id').pluck().all() as string[];
      const names = db
        .prepare('SELECT name FROM slots WHERE org_id = ? ORDER BY name')
        .pluck()
        .all(orgIds[0]) as string[];
      const get = db.prepare('SELECT * FROM slots WHERE org_id = ? AND name = ?');
      cpu(`slot read, ${orgs} orgs × ${perOrg}, cache_size ${cache}`, 100_000, () => {
        get.get(orgIds[rand(orgIds.length)], names[rand(names.length)]);
      });
      db.close();
    }
  }
}

const big = storeOf('1000x1000');
if (big !== undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'dodil-micro-'));
  copyFileSync(big, join(dir, 'dodil.db'));
  const db = new Database(join(dir, 'dodil.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const ids = db.prepare('SELECT id FROM tokens').pluck().all() as string[];
  const touch = db.prepare('UPDATE tokens SET last_used_at_ms = ? WHERE id = ?');
  const wall = performance.now();
  const start = process.cpuUsage();
  for (const id of ids) touch.run(Date.now(), id);
  const used = process.cpuUsage(start);
  console.log(
    `last-use write of each of ${ids.length} tokens (FULL): ${(performance.now() - wall).toFixed(0)} ms wall, ` +
      `${((used.user + used.system) / 1000).toFixed(0)} ms CPU`,
  );
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
