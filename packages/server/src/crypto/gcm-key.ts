import { GHASH } from '@noble/ciphers/_polyval.js';
import { unsafe } from '@noble/ciphers/aes.js';
import { equalBytes, u64Lengths } from '@noble/ciphers/utils.js';

/** GHASH whose per-key multiplication table is built once and reused for every message. */
class ReusableGhash extends GHASH {
  /** Starts the next message: only the accumulator is per message, the table is per key. */
  reset(): this {
    this.s0 = 0;
    this.s1 = 0;
    this.s2 = 0;
    this.s3 = 0;
    this.finished = false;
    return this;
  }
}

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ZERO_BLOCK = new Uint8Array(16);
// Table size of the GHASH precomputation (noble picks it from the expected length): 4-bit windows,
// 512 entries per key; values are ~100 bytes plus ~60 bytes of AAD.
const GHASH_TABLE_HINT = typeof __DODIL_BENCH_GHASH_W2__ === 'boolean' && __DODIL_BENCH_GHASH_W2__ ? 1024 : 2048;

/**
 * A copy of `bytes` in a fresh buffer (4-byte aligned, as noble's CTR reads 32-bit words).
 * `new Uint8Array(view)`, not `.slice()`: on a Node Buffer (what SQLite hands back) `slice` is a view.
 */
const copy = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);
const aligned = (bytes: Uint8Array): Uint8Array => (bytes.byteOffset % 4 === 0 ? bytes : copy(bytes));

/**
 * AES-256-GCM (NIST SP 800-38D, 96-bit nonces) under one key, built from
 * @noble/ciphers' own pieces. `gcm(key, nonce, aad)` from @noble/ciphers
 * expands the AES key and rebuilds the GHASH table of H = E_K(0¹²⁸) on every
 * call, which is most of the cost of opening a 100-byte value; here both are
 * computed once per data key and kept as long as the key is (they are key
 * material of exactly the same sensitivity). Output is byte-identical to
 * noble's `gcm` (test/crypto/gcm-key.test.ts checks it property-based).
 * One instance is used by one call at a time: JavaScript runs each seal/open
 * to the end before another can start.
 */
export class GcmKey {
  readonly #key: Uint8Array;
  readonly #xk: Uint32Array;
  readonly #ghash: ReusableGhash;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) throw new Error('AES-256-GCM needs a 32-byte key');
    this.#key = copy(key);
    this.#xk = unsafe.expandKeyLE(this.#key);
    const h = unsafe.ctr32(this.#xk, false, new Uint8Array(16), ZERO_BLOCK);
    this.#ghash = new ReusableGhash(h, GHASH_TABLE_HINT);
    h.fill(0);
  }

  /** True when `key` still holds the bytes this context was built from (a caller may reuse a buffer). */
  matches(key: Uint8Array): boolean {
    if (key.length !== KEY_BYTES) return false;
    let diff = 0;
    for (let i = 0; i < KEY_BYTES; i++) diff |= (key[i] ?? 0) ^ (this.#key[i] ?? 0);
    return diff === 0;
  }

  /** `ciphertext ‖ tag` of `plaintext` under a 12-byte nonce and `aad`. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const counter = this.#j0(nonce);
    const mask = unsafe.ctr32(this.#xk, false, counter, ZERO_BLOCK); // E_K(J0); counter → inc32(J0)
    const out = new Uint8Array(plaintext.length + TAG_BYTES);
    const body = out.subarray(0, plaintext.length);
    unsafe.ctr32(this.#xk, false, counter, aligned(plaintext), body);
    out.set(this.#tag(mask, aad, body), plaintext.length);
    return out;
  }

  /** The plaintext of `ciphertext ‖ tag`; throws when the tag does not verify (nothing is decrypted then). */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
    if (sealed.length < TAG_BYTES) throw new Error('aes-gcm: ciphertext shorter than its tag');
    const counter = this.#j0(nonce);
    const mask = unsafe.ctr32(this.#xk, false, counter, ZERO_BLOCK);
    const body = copy(sealed.subarray(0, sealed.length - TAG_BYTES));
    if (!equalBytes(this.#tag(mask, aad, body), sealed.subarray(sealed.length - TAG_BYTES))) {
      throw new Error('aes-gcm: invalid tag');
    }
    return unsafe.ctr32(this.#xk, false, counter, body);
  }

  // J0 = nonce ‖ 0³¹1 for a 96-bit nonce (SP 800-38D §7.1 step 2).
  #j0(nonce: Uint8Array): Uint8Array {
    if (nonce.length !== NONCE_BYTES) throw new Error('aes-gcm: this key context takes 12-byte nonces');
    const counter = new Uint8Array(16);
    counter.set(nonce);
    counter[15] = 1;
    return counter;
  }

  // GHASH_H(A ‖ pad ‖ C ‖ pad ‖ len(A) ‖ len(C)) XOR E_K(J0); AAD and data are separate padded segments.
  #tag(mask: Uint8Array, aad: Uint8Array, data: Uint8Array): Uint8Array {
    const g = this.#ghash.reset();
    g.update(aad);
    g.update(data);
    g.update(u64Lengths(8 * data.length, 8 * aad.length, false));
    const tag = new Uint8Array(TAG_BYTES);
    g.digestInto(tag);
    for (let i = 0; i < TAG_BYTES; i++) tag[i] = (tag[i] ?? 0) ^ (mask[i] ?? 0);
    return tag;
  }
}
