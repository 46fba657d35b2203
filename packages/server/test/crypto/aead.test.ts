import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { OpenError, aad, open, seal } from '../../src/crypto/aead';
import { openSlotValue, sealSlotValue } from '../../src/crypto/slot-cipher';

const random = (n: number) => new Uint8Array(randomBytes(n));
const key = random(32);
const binding = { orgId: 'org1', name: 'gh', type: 'git_secret' as const, keyVersion: 1 };
const value = { gitSecret: { username: 'octo', token: 'ghp_abc' } };

describe('AES-256-GCM sealing', () => {
  test('round trips, with a fresh nonce every time', () => {
    const a = seal(key, new TextEncoder().encode('hello'), aad('x'), random);
    const b = seal(key, new TextEncoder().encode('hello'), aad('x'), random);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(new TextDecoder().decode(open(key, a, aad('x')))).toBe('hello');
    expect(a[0]).toBe(1);
    expect(a.length).toBe(1 + 12 + 5 + 16);
  });

  test('every tampered byte fails to open', () => {
    const blob = sealSlotValue(key, binding, value, random);
    for (let i = 0; i < blob.length; i++) {
      const bad = Uint8Array.from(blob);
      bad[i] = (bad[i] ?? 0) ^ 0x01;
      expect(() => openSlotValue(key, binding, bad)).toThrow();
    }
  });

  test('a wrong key fails to open', () => {
    const blob = sealSlotValue(key, binding, value, random);
    expect(() => openSlotValue(random(32), binding, blob)).toThrow(OpenError);
  });

  test.each([
    ['another org', { ...binding, orgId: 'org2' }],
    ['another name', { ...binding, name: 'gh2' }],
    ['another type', { ...binding, type: 'registry_secret' as const }],
    ['another key version', { ...binding, keyVersion: 2 }],
  ])('a ciphertext bound elsewhere (%s) fails to open', (_label, other) => {
    const blob = sealSlotValue(key, binding, value, random);
    expect(() => openSlotValue(key, other, blob)).toThrow(OpenError);
    expect(openSlotValue(key, binding, blob)).toEqual(value);
  });

  test('AAD parts may not contain NUL (no ambiguous joins)', () => {
    expect(() => aad('a\0b', 'c')).toThrow();
  });
});
