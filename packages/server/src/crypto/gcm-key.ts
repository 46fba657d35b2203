import { GHASH } from '@noble/ciphers/_polyval.js';
import { unsafe } from '@noble/ciphers/aes.js';
import { equalBytes, u64Lengths } from '@noble/ciphers/utils.js';

/** noble's table size for 4-bit windows: 32 windows × 16 entries. */
const PACKED_ENTRIES = 512;

/**
 * GHASH whose per-key multiplication table is built once and reused for every message. noble
 * keeps that table as 512 objects of four numbers (most of them boxed: ~2.5k heap objects per
 * key, millions with 1000 orgs for the GC to trace); here the same numbers are packed into one
 * Int32Array after noble built them, and `_updateBlock` reads them from there (the same
 * lookups and XORs as noble's, without its per-block array either).
 */
class ReusableGhash extends GHASH {
  readonly #packed: Int32Array | undefined;
  readonly #words = new Int32Array(4);

  constructor(key: Uint8Array, expectedLength: number) {
    super(key, expectedLength);
    if (this.t.length === PACKED_ENTRIES) {
      const packed = new Int32Array(PACKED_ENTRIES * 4);
      this.t.forEach((e, i) => {
        packed[4 * i] = e.s0;
        packed[4 * i + 1] = e.s1;
        packed[4 * i + 2] = e.s2;
        packed[4 * i + 3] = e.s3;
      });
      this.#packed = packed;
      this.t = [];
    }
  }

  // noble's _updateBlock for W = 4: each 32-bit word, low byte first, high nibble before low.
  protected override _updateBlock(s0: number, s1: number, s2: number, s3: number): void {
    const t = this.#packed;
    if (t === undefined) {
      super._updateBlock(s0, s1, s2, s3);
      return;
    }
    const words = this.#words;
    words[0] = s0 ^ this.s0;
    words[1] = s1 ^ this.s1;
    words[2] = s2 ^ this.s2;
    words[3] = s3 ^ this.s3;
    let o0 = 0;
    let o1 = 0;
    let o2 = 0;
    let o3 = 0;
    let base = 0; // (window × 16) × 4
    for (let i = 0; i < 4; i++) {
      const num = words[i] ?? 0;
      for (let bytePos = 0; bytePos < 32; bytePos += 8) {
        const byte = (num >>> bytePos) & 0xff;
        let at = base + (byte >>> 4) * 4;
        o0 ^= t[at] ?? 0;
        o1 ^= t[at + 1] ?? 0;
        o2 ^= t[at + 2] ?? 0;
        o3 ^= t[at + 3] ?? 0;
        at = base + 64 + (byte & 15) * 4;
        o0 ^= t[at] ?? 0;
        o1 ^= t[at + 1] ?? 0;
        o2 ^= t[at + 2] ?? 0;
        o3 ^= t[at + 3] ?? 0;
        base += 128;
      }
    }
    this.s0 = o0;
    this.s1 = o1;
    this.s2 = o2;
    this.s3 = o3;
  }

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
const GHASH_TABLE_HINT =
  typeof __DODIL_BENCH_GHASH_W2__ === 'boolean' && __DODIL_BENCH_GHASH_W2__ ? 1024 : 2048;

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
