import { gcm } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { aad, open, seal } from '../../src/crypto/aead';
import { GcmKey } from '../../src/crypto/gcm-key';

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('GcmKey (AES-256-GCM with the key schedule and GHASH table kept per key)', () => {
  test('is byte-identical to @noble/ciphers gcm, message after message under one key', () => {
    fc.assert(
      fc.property(
        bytes(32, 32),
        fc.array(fc.record({ nonce: bytes(12, 12), aad: bytes(0, 80), plain: bytes(0, 300) }), {
          minLength: 1,
          maxLength: 6,
        }),
        (key, messages) => {
          const ctx = new GcmKey(key);
          for (const m of messages) {
            const expected = gcm(key, m.nonce, m.aad).encrypt(m.plain);
            const sealed = ctx.seal(m.nonce, m.aad, m.plain);
            expect(hex(sealed)).toBe(hex(expected));
            expect(hex(ctx.open(m.nonce, m.aad, expected))).toBe(hex(m.plain));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test('Node Buffers (what SQLite returns), whose slice() is a view, are copied, not aliased', () => {
    const key = Buffer.alloc(32, 4);
    const nonce = Buffer.alloc(12, 6);
    const plain = Buffer.from('{"gitSecret":{"username":"octo","token":"ghp_y"}}');
    const expected = gcm(new Uint8Array(key), new Uint8Array(nonce), new Uint8Array(0)).encrypt(
      new Uint8Array(plain),
    );
    const stored = Buffer.concat([Buffer.alloc(13), Buffer.from(expected)]);
    const ctx = new GcmKey(key);
    expect(hex(ctx.open(nonce, new Uint8Array(0), stored.subarray(13)))).toBe(hex(plain));
    key.fill(0); // the context keeps its own copy of the key
    expect(ctx.matches(key)).toBe(false);
    expect(hex(ctx.open(nonce, new Uint8Array(0), stored.subarray(13)))).toBe(hex(plain));
  });

  test('unaligned views in and out give the same answer', () => {
    const key = new Uint8Array(32).fill(3);
    const nonce = new Uint8Array(12).fill(5);
    const plain = new TextEncoder().encode('{"gitSecret":{"username":"octo","token":"ghp_x"}}');
    const expected = gcm(key, nonce, new Uint8Array(3)).encrypt(plain);
    const shifted = new Uint8Array(expected.length + 3);
    shifted.set(expected, 3);
    const ctx = new GcmKey(key);
    expect(hex(ctx.open(nonce.slice(), new Uint8Array(3), shifted.subarray(3)))).toBe(hex(plain));
    const plainShifted = new Uint8Array(plain.length + 1);
    plainShifted.set(plain, 1);
    expect(hex(ctx.seal(nonce, new Uint8Array(3), plainShifted.subarray(1)))).toBe(hex(expected));
  });

  test('any flipped bit of ciphertext, tag or AAD is refused, and the next message still opens', () => {
    fc.assert(
      fc.property(
        bytes(32, 32),
        bytes(12, 12),
        bytes(1, 40),
        bytes(1, 100),
        fc.nat(),
        (key, nonce, ad, plain, at) => {
          const ctx = new GcmKey(key);
          const sealed = ctx.seal(nonce, ad, plain);
          const bad = sealed.slice();
          const i = at % bad.length;
          bad[i] = (bad[i] ?? 0) ^ (1 << (at % 8));
          expect(() => ctx.open(nonce, ad, bad)).toThrow('invalid tag');
          const badAad = ad.slice();
          badAad[at % badAad.length] = (badAad[at % badAad.length] ?? 0) ^ 1;
          expect(() => ctx.open(nonce, badAad, sealed)).toThrow('invalid tag');
          expect(hex(ctx.open(nonce, ad, sealed))).toBe(hex(plain));
        },
      ),
      { numRuns: 100 },
    );
  });

  test('refuses other key and nonce sizes and a blob shorter than a tag', () => {
    expect(() => new GcmKey(new Uint8Array(16))).toThrow('32-byte key');
    const ctx = new GcmKey(new Uint8Array(32));
    expect(() => ctx.seal(new Uint8Array(16), new Uint8Array(0), new Uint8Array(1))).toThrow(
      '12-byte nonces',
    );
    expect(() => ctx.open(new Uint8Array(12), new Uint8Array(0), new Uint8Array(15))).toThrow(
      'shorter than its tag',
    );
  });

  test('aead notices a key buffer rewritten in place and never opens with the stale key', () => {
    const random = (n: number) => new Uint8Array(n).fill(9);
    const key = new Uint8Array(32).fill(1);
    const blob = seal(key, new TextEncoder().encode('v'), aad('x'), random);
    expect(new TextDecoder().decode(open(key, blob, aad('x')))).toBe('v');
    key.fill(2); // same object, other key: the cached context must not be used
    expect(() => open(key, blob, aad('x'))).toThrow();
    key.fill(1);
    expect(new TextDecoder().decode(open(key, blob, aad('x')))).toBe('v');
  });
});
