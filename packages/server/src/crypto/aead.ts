import { gcm } from '@noble/ciphers/aes.js';
import { GcmKey } from './gcm-key';

/** Source of randomness; tests may pass a deterministic one. */
export type RandomBytes = (length: number) => Uint8Array;

const FORMAT_V1 = 0x01;
const NONCE_BYTES = 12;
const KEY_BYTES = 32;
const TAG_BYTES = 16;

// One GcmKey (expanded AES key + GHASH table) per key buffer, for as long as the buffer lives:
// OrgKeys hands out the same Uint8Array for a data key every time, so its context is built once.
// A WeakMap never keeps a key alive, and `matches` catches a buffer rewritten in place.
const contexts = new WeakMap<Uint8Array, GcmKey>();
function gcmKey(key: Uint8Array): Pick<GcmKey, 'sealInto' | 'open'> {
  if (typeof __DODIL_BENCH_UNDO_GCM_KEY__ === 'boolean' && __DODIL_BENCH_UNDO_GCM_KEY__)
    return {
      sealInto: (n, a, p, out, at) => out.set(gcm(key, n, a).encrypt(p), at),
      open: (n, a, c) => gcm(key, n, a).decrypt(c),
    };
  let ctx = contexts.get(key);
  if (ctx === undefined || !ctx.matches(key)) {
    ctx = new GcmKey(key);
    contexts.set(key, ctx);
  }
  return ctx;
}

/**
 * AES-256-GCM with a 96-bit random nonce (NIST SP 800-38D §8.2.2). The output
 * is `0x01 ‖ nonce ‖ ciphertext ‖ tag`; the leading byte versions the format
 * so another layout can be read side by side later.
 */
export function seal(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  random: RandomBytes,
): Uint8Array {
  if (key.length !== KEY_BYTES) throw new Error('AES-256-GCM needs a 32-byte key');
  const nonce = random(NONCE_BYTES);
  const out = new Uint8Array(1 + NONCE_BYTES + plaintext.length + TAG_BYTES);
  out[0] = FORMAT_V1;
  out.set(nonce, 1);
  gcmKey(key).sealInto(nonce, aad, plaintext, out, 1 + NONCE_BYTES);
  return out;
}

/** Thrown when a sealed blob does not open: wrong key, wrong AAD, or tampering. */
export class OpenError extends Error {
  override readonly name = 'OpenError';
}

/** Opens a blob made by {@link seal}; throws {@link OpenError} on any mismatch. */
export function open(key: Uint8Array, blob: Uint8Array, aad: Uint8Array): Uint8Array {
  if (key.length !== KEY_BYTES) throw new Error('AES-256-GCM needs a 32-byte key');
  if (blob.length < 1 + NONCE_BYTES + TAG_BYTES || blob[0] !== FORMAT_V1)
    throw new OpenError('unknown ciphertext format');
  const nonce = blob.subarray(1, 1 + NONCE_BYTES);
  try {
    return gcmKey(key).open(nonce, aad, blob.subarray(1 + NONCE_BYTES));
  } catch {
    throw new OpenError('ciphertext does not authenticate');
  }
}

const encoder = new TextEncoder();

/** Builds an AAD from parts joined by NUL, which none of the parts may contain. */
export function aad(...parts: ReadonlyArray<string | number>): Uint8Array {
  const text = parts.map(String);
  if (text.some((p) => p.includes('\0'))) throw new Error('AAD parts must not contain NUL');
  return encoder.encode(text.join('\0'));
}
