import { describe, expect, test } from 'vitest';
import { AppError } from '../errors/app-error';
import { grantsCovered, isGrantPattern, parseGrants, patternCovered, slotAllowed } from './grants';

describe('slot grant patterns', () => {
  test.each([
    // pattern, name, allowed
    ['gh-*', 'gh-clone', true],
    ['gh-*', 'gh-', true],
    ['gh-*', 'gh', false], // the prefix includes the dash
    ['gh-*', 'ghcr-pull', false],
    ['gh-*', 'xgh-clone', false], // a prefix, not a substring
    ['ghcr-pull', 'ghcr-pull', true],
    ['ghcr-pull', 'ghcr-pull2', false], // exact names are whole names
    ['ghcr-pull', 'ghcr-pul', false],
    ['ghcr-pull', 'GHCR-PULL', false], // case-sensitive like slot names
    ['*', 'anything', true],
    ['*', 'a', true],
  ])('%s against %s → %s', (pattern, name, allowed) => {
    expect(slotAllowed({ grants: [pattern] }, name)).toBe(allowed);
  });

  test('no grants allows every slot; an empty list would allow none, so it is refused at parse', () => {
    expect(slotAllowed({}, 'x')).toBe(true);
    expect(slotAllowed({ grants: undefined }, 'x')).toBe(true);
    expect(() => parseGrants([])).toThrow(AppError);
    expect(() => parseGrants([''])).toThrow(/slot pattern/);
  });

  test.each(['gh-*', 'a', '*', 'x'.repeat(64), `${'x'.repeat(63)}*`, 'A_b-9*'])('accepts %s', (p) => {
    expect(isGrantPattern(p)).toBe(true);
  });

  test.each([
    '*gh',
    'g*h',
    'gh**',
    '**',
    'gh-*,x',
    'a b',
    'é',
    '',
    `${'x'.repeat(65)}`,
    `${'x'.repeat(64)}*`,
    'a?',
  ])('refuses %j', (p) => {
    expect(isGrantPattern(p)).toBe(false);
    expect(() => parseGrants([p])).toThrow(/slot pattern/);
  });

  test('parse trims, drops duplicates and keeps order', () => {
    expect(parseGrants([' gh-* ', 'ghcr-pull', 'gh-*'])).toEqual(['gh-*', 'ghcr-pull']);
    expect(() => parseGrants(Array.from({ length: 65 }, (_, i) => `s${i}`))).toThrow(/at most 64/);
  });

  test('coverage: a pattern is covered only when every name it matches is', () => {
    expect(patternCovered(undefined, '*')).toBe(true);
    expect(patternCovered(['gh-*'], 'gh-clone')).toBe(true);
    expect(patternCovered(['gh-*'], 'gh-a*')).toBe(true);
    expect(patternCovered(['gh-*'], 'gh-*')).toBe(true);
    expect(patternCovered(['gh-*'], 'gh*')).toBe(false); // gh* matches "ghcr", outside gh-*
    expect(patternCovered(['gh-*'], '*')).toBe(false);
    expect(patternCovered(['gh-a', 'gh-b'], 'gh-*')).toBe(false); // names never cover a prefix
    expect(patternCovered(['*'], 'x*')).toBe(true);
    expect(grantsCovered(['gh-*'], undefined)).toBe(false); // "every slot" is broader than gh-*
    expect(grantsCovered(undefined, undefined)).toBe(true);
    expect(grantsCovered(['gh-*', 'npm'], ['npm', 'gh-x*'])).toBe(true);
  });
});
