// Micro-benchmark of the per-request crypto of GetSecret: `npx tsx bench/micro/crypto.ts`.
// noble's gcm() per call (key schedule + GHASH table rebuilt every time) against GcmKey (built
// once per data key), and the token HMAC. Pinned to core 1 when taskset exists (see run.mjs).
import { createHmac, randomBytes } from 'node:crypto';
import { gcm } from '@noble/ciphers/aes.js';
import { GcmKey } from '../../packages/server/src/crypto/gcm-key';

const key = new Uint8Array(randomBytes(32));
const nonce = new Uint8Array(randomBytes(12));
const aad = new TextEncoder().encode(
  ['dodil.slot.v1', 'a'.repeat(24), 'slot-000123', 'git_secret', '1'].join('\0'),
);
const plain = new TextEncoder().encode(
  JSON.stringify({ gitSecret: { username: 'bot-12', token: `ghp_${'x'.repeat(36)}` } }),
);
const sealed = gcm(key, nonce, aad).encrypt(plain);
const ctx = new GcmKey(key);
const pepper = randomBytes(32);

function bench(name: string, fn: () => void): void {
  for (let i = 0; i < 3000; i++) fn();
  const n = 30_000;
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  const ms = performance.now() - t;
  console.log(
    `${name.padEnd(40)} ${String(Math.round((n / ms) * 1000)).padStart(9)} ops/s ${((ms * 1000) / n).toFixed(2).padStart(7)} µs`,
  );
}

console.log(`value ${plain.length} bytes, AAD ${aad.length} bytes`);
for (let round = 0; round < 2; round++) {
  bench('noble gcm(key, nonce, aad).decrypt', () => gcm(key, nonce, aad).decrypt(sealed));
  bench('GcmKey.open (schedule + table cached)', () => ctx.open(nonce, aad, sealed));
  bench('new GcmKey (once per data key)', () => new GcmKey(key));
  bench('HMAC-SHA256 of a token (auth)', () =>
    createHmac('sha256', pepper).update('0123456789abcdef:secret').digest(),
  );
}
