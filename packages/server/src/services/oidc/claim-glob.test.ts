import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { claimText, firstMismatch, globMatches } from './claim-glob';

// The oracle: the glob as an anchored regular expression (every character literal but `*`).
const oracle = (glob: string, value: string) =>
  new RegExp(
    `^${glob
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
    's',
  ).test(value);

describe('claim globs', () => {
  test('agree with an anchored regular expression on random globs and values', () => {
    const alphabet = fc.constantFrom('a', 'b', '/', ':', '*', '.', '\n');
    const text = fc.array(alphabet, { maxLength: 12 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(text, text, (glob, value) => {
        expect(globMatches(glob, value)).toBe(oracle(glob, value));
      }),
      { numRuns: 2000 },
    );
  });

  test('only strings and finite numbers match; missing, array, object, boolean never do', () => {
    expect(claimText('x')).toBe('x');
    expect(claimText(1234)).toBe('1234');
    for (const v of [undefined, null, true, ['a'], { a: 1 }, Number.NaN])
      expect(claimText(v)).toBeUndefined();
    expect(firstMismatch({ repo: '*' }, {})).toBe('repo');
    expect(firstMismatch({ repo: '*' }, { repo: ['x'] })).toBe('repo');
    expect(firstMismatch({ id: '12*' }, { id: 1234 })).toBeUndefined();
    // An inherited property is not a claim.
    expect(firstMismatch({ toString: '*' }, {})).toBe('toString');
  });
});
