import { GHASH } from '@noble/ciphers/_polyval.js';
import { unsafe } from '@noble/ciphers/aes.js';

/** noble's table size for 4-bit windows: 32 windows × 16 entries. */
const PACKED_ENTRIES = 512;

/** The 32-bit little-endian word of `b` at `i` (bytes past `end` read as zero padding). */
function wordLE(b: Uint8Array, i: number, end: number): number {
  if (i + 4 <= end)
    return (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8) | ((b[i + 2] ?? 0) << 16) | ((b[i + 3] ?? 0) << 24) | 0;
  let w = 0;
  for (let j = 0; j < 4 && i + j < end; j++) w |= (b[i + j] ?? 0) << (8 * j);
  return w | 0;
}

/** A 32-bit word with its bytes reversed (a big-endian counter or length as noble's LE words see it). */
const bswap32 = (x: number): number =>
  (x >>> 24) | ((x >>> 8) & 0xff00) | ((x & 0xff00) << 8) | (x << 24) | 0;

/** An AES block or GHASH state as noble passes it: four 32-bit little-endian words. */
interface Words {
  s0: number;
  s1: number;
  s2: number;
  s3: number;
}

/**
 * GHASH whose per-key multiplication table is built once and reused for every message. noble
 * keeps that table as 512 objects of four numbers (most of them boxed: ~2.5k heap objects per
 * key, millions with 1000 orgs for the GC to trace); here the same numbers are packed into one
 * Int32Array after noble built them, and `_updateBlock` reads them from there (the same
 * lookups and XORs as noble's, without its per-block array either). Messages are fed with
 * {@link absorb}, which reads the words straight from the caller's bytes: noble's `update`
 * copies its input and makes a Uint32Array view of it on every call.
 */
class ReusableGhash extends GHASH {
  readonly #packed: Int32Array | undefined;

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
    const w0 = s0 ^ this.s0;
    const w1 = s1 ^ this.s1;
    const w2 = s2 ^ this.s2;
    const w3 = s3 ^ this.s3;
    let o0 = 0;
    let o1 = 0;
    let o2 = 0;
    let o3 = 0;
    let base = 0; // (window × 16) × 4
    for (let i = 0; i < 4; i++) {
      const num = i === 0 ? w0 : i === 1 ? w1 : i === 2 ? w2 : w3;
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
    return this;
  }

  /** Feeds `bytes` as one segment, zero-padded to a whole block (what noble's `update` does). */
  absorb(bytes: Uint8Array): void {
    const end = bytes.length;
    for (let i = 0; i < end; i += 16) {
      this._updateBlock(
        wordLE(bytes, i, end),
        wordLE(bytes, i + 4, end),
        wordLE(bytes, i + 8, end),
        wordLE(bytes, i + 12, end),
      );
    }
  }

  /** Writes the digest XOR `mask` (E_K(J0)'s words) into `out` at `at`: the GCM tag. */
  digestXor(mask: Words, out: Uint8Array, at: number): void {
    writeWordLE(out, at, this.s0 ^ mask.s0);
    writeWordLE(out, at + 4, this.s1 ^ mask.s1);
    writeWordLE(out, at + 8, this.s2 ^ mask.s2);
    writeWordLE(out, at + 12, this.s3 ^ mask.s3);
  }

  /** Feeds the final block: len(A) ‖ len(C) in bits, 64-bit big-endian each. */
  absorbLengths(aadBytes: number, dataBytes: number): void {
    const aBits = aadBytes * 8;
    const cBits = dataBytes * 8;
    this._updateBlock(
      bswap32(Math.floor(aBits / 0x100000000)),
      bswap32(aBits >>> 0),
      bswap32(Math.floor(cBits / 0x100000000)),
      bswap32(cBits >>> 0),
    );
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
 * AES-256-GCM (NIST SP 800-38D, 96-bit nonces) under one key, built from
 * @noble/ciphers' own pieces. `gcm(key, nonce, aad)` from @noble/ciphers
 * expands the AES key and rebuilds the GHASH table of H = E_K(0¹²⁸) on every
 * call, which is most of the cost of opening a 100-byte value; here both are
 * computed once per data key and kept as long as the key is (they are key
 * material of exactly the same sensitivity). The counter mode and GHASH run
 * on noble's block function (`unsafe.encrypt`) and its GHASH multiplication,
 * reading and writing the caller's bytes directly: no copy, view, counter or
 * length block is allocated per call, only the result (and, to open, the
 * 16-byte tag it compares). Output is byte-identical to
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
    this.#key = new Uint8Array(key);
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
    const out = new Uint8Array(plaintext.length + TAG_BYTES);
    this.sealInto(nonce, aad, plaintext, out, 0);
    return out;
  }

  /**
   * Writes `ciphertext ‖ tag` of `plaintext` into `out` at `at` (which must have room for
   * `plaintext.length + 16` bytes), so a caller adding a header allocates one buffer.
   */
  sealInto(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, at: number): void {
    checkNonce(nonce);
    const body = out.subarray(at, at + plaintext.length);
    this.#gctr(nonce, plaintext, body);
    this.#tag(nonce, aad, body, out, at + plaintext.length);
  }

  /** The plaintext of `ciphertext ‖ tag`; throws when the tag does not verify (nothing is decrypted then). */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
    if (sealed.length < TAG_BYTES) throw new Error('aes-gcm: ciphertext shorter than its tag');
    checkNonce(nonce);
    const length = sealed.length - TAG_BYTES;
    const body = sealed.subarray(0, length);
    const expected = new Uint8Array(TAG_BYTES);
    this.#tag(nonce, aad, body, expected, 0);
    let diff = 0;
    for (let i = 0; i < TAG_BYTES; i++) diff |= (expected[i] ?? 0) ^ (sealed[length + i] ?? 0);
    if (diff !== 0) throw new Error('aes-gcm: invalid tag');
    const plain = new Uint8Array(length);
    this.#gctr(nonce, body, plain);
    return plain;
  }

  // GCTR from inc32(J0), J0 = nonce ‖ 0³¹1 (SP 800-38D §7.1 step 2): the same blocks noble's
  // ctr32(isLE = false) computes, byte by byte so that neither side needs to be aligned.
  #gctr(nonce: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
    const xk = this.#xk;
    const n0 = wordLE(nonce, 0, 12);
    const n1 = wordLE(nonce, 4, 12);
    const n2 = wordLE(nonce, 8, 12);
    const length = src.length;
    for (let i = 0, counter = 2; i < length; i += 16, counter = (counter + 1) >>> 0) {
      const { s0, s1, s2, s3 } = unsafe.encrypt(xk, n0, n1, n2, bswap32(counter));
      const end = Math.min(16, length - i);
      for (let j = 0; j < end; j++) {
        const w = j < 4 ? s0 : j < 8 ? s1 : j < 12 ? s2 : s3;
        dst[i + j] = (src[i + j] ?? 0) ^ ((w >>> (8 * (j & 3))) & 0xff);
      }
    }
  }

  // GHASH_H(A ‖ pad ‖ C ‖ pad ‖ len(A) ‖ len(C)) XOR E_K(J0), written into `out` at `at`.
  #tag(nonce: Uint8Array, aad: Uint8Array, data: Uint8Array, out: Uint8Array, at: number): void {
    const g = this.#ghash.reset();
    g.absorb(aad);
    g.absorb(data);
    g.absorbLengths(aad.length, data.length);
    const mask = unsafe.encrypt(
      this.#xk,
      wordLE(nonce, 0, 12),
      wordLE(nonce, 4, 12),
      wordLE(nonce, 8, 12),
      J0_LAST,
    );
    g.digestXor(mask, out, at);
  }
}

/** The last word of J0 (the counter 1, big-endian) as a little-endian word. */
const J0_LAST = bswap32(1);

function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== NONCE_BYTES) throw new Error('aes-gcm: this key context takes 12-byte nonces');
}

function writeWordLE(out: Uint8Array, at: number, w: number): void {
  out[at] = w & 0xff;
  out[at + 1] = (w >>> 8) & 0xff;
  out[at + 2] = (w >>> 16) & 0xff;
  out[at + 3] = (w >>> 24) & 0xff;
}
