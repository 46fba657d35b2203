import { createHmac, timingSafeEqual } from 'node:crypto';
import { aad, open, seal } from './aead';
import type { RandomBytes } from './aead';

/** Meta key under which the key check value is stored. */
export const KEY_CHECK_META = 'master_key_check';

/** Thrown when the master key is not the one this data directory was created with. */
export class WrongMasterKeyError extends Error {
  override readonly name = 'WrongMasterKeyError';
}

/** Parses base64 text of exactly 32 bytes; throws a message fit for an operator. */
export function parseMasterKey(text: string, source: string): Uint8Array {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) throw new Error(`${source} is not base64`);
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length !== 32) throw new Error(`${source} must be base64 of 32 bytes (got ${bytes.length})`);
  return new Uint8Array(bytes);
}

/**
 * The master key: wraps org data keys and other server keys, and never touches
 * a slot value itself (envelope encryption, as Vault's barrier and AWS KMS do).
 */
export class MasterKey {
  // Not readonly: a running server adopts the new key after `keys rotate-master` (see adopt()).
  #key: Uint8Array;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes');
    this.#key = key;
  }

  /**
   * Switches to `key` in place, so everything holding this MasterKey follows a rotation made
   * elsewhere without a restart (the key guard calls it once the new key's check value is the
   * stored one). Unwrapped data keys, the token pepper and the audit key keep their values: a
   * master rotation only re-wraps them.
   */
  adopt(key: Uint8Array): void {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes');
    this.#key = key;
  }

  /** A value that proves a key is this one without revealing it (HMAC of a constant). */
  checkValue(): Uint8Array {
    return createHmac('sha256', this.#key).update('dodil master key check v1').digest();
  }

  /** True when `stored` is this key's check value. */
  matches(stored: Uint8Array): boolean {
    const mine = this.checkValue();
    return stored.length === mine.length && timingSafeEqual(stored, mine);
  }

  /** Seals key material under the master key, bound to what it is (`purpose`). */
  wrap(material: Uint8Array, purpose: ReadonlyArray<string | number>, random: RandomBytes): Uint8Array {
    return seal(this.#key, material, aad('dodil.wrap.v1', ...purpose), random);
  }

  /** Opens key material sealed by {@link wrap} for the same purpose. */
  unwrap(wrapped: Uint8Array, purpose: ReadonlyArray<string | number>): Uint8Array {
    return open(this.#key, wrapped, aad('dodil.wrap.v1', ...purpose));
  }

  /** Derives a sub-key for a purpose that must follow the master key (HMAC-SHA256 as a PRF). */
  derive(purpose: string): Uint8Array {
    return createHmac('sha256', this.#key).update(`dodil derive v1\0${purpose}`).digest();
  }
}
