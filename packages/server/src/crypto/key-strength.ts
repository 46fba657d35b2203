import { randomBytes } from 'node:crypto';

/**
 * Why `key` is obviously not a random 32-byte key, or `undefined` when it
 * looks random. Conservative on purpose: each test rejects only keys that a
 * random source produces with negligible probability (< 2^-40), so a real key
 * is never refused; what it catches is a typed password, a repeated pattern,
 * zeros.
 */
export function weakKeyReason(key: Uint8Array): string | undefined {
  if (key.length === 0) return 'it is empty';
  if (key.every((b) => b === key[0])) return 'every byte is the same';
  for (let period = 2; period <= 16 && period < key.length; period++) {
    if (key.every((b, i) => b === key[i % period])) return `it repeats a ${period}-byte pattern`;
  }
  const distinct = new Set(key).size;
  // A random 32-byte key has ~30 distinct values; fewer than 12 happens with probability < 2^-60.
  if (distinct < 12) return `it has only ${distinct} distinct byte values`;
  // All 32 bytes printable ASCII: (95/256)^32 ≈ 2^-46 for random bytes; typical of a typed secret.
  if (key.every((b) => b >= 0x20 && b <= 0x7e)) return 'it is printable text (a password), not random bytes';
  return undefined;
}

/** A fresh random master key, base64 (what `keys generate` prints and key files hold). */
export function generateMasterKeyText(
  random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n)),
): string {
  return Buffer.from(random(32)).toString('base64');
}
