import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { liteValidators } from '../../src/wire/lite';
import type { WireValidators } from '../../src/wire/types';
import { zodValidators } from '../../src/wire/zod';
import { gitSlot, meta, registrySlot } from '../helpers';

type Outcome = { ok: true; value: unknown } | { ok: false };
const attempt = (f: () => unknown): Outcome => {
  try {
    return { ok: true, value: f() };
  } catch {
    return { ok: false };
  }
};

// JSON-ish values shaped like the API, broken in random places.
const str = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('1700000000000', '12345678901234567890', '-1', 'git_secret', 'registry_secret'),
);
const leaf = fc.oneof(str, fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined));
const metadataArb = fc.record(
  {
    name: fc.oneof(str, leaf),
    type: fc.oneof(fc.constantFrom('git_secret', 'registry_secret'), leaf),
    createdAtMs: fc.oneof(str, leaf),
    updatedAtMs: fc.oneof(str, leaf),
  },
  { requiredKeys: [] },
);
const gitArb = fc.record({ username: fc.oneof(str, leaf), token: fc.oneof(str, leaf) }, { requiredKeys: [] });
const regArb = fc.record(
  { username: fc.oneof(str, leaf), password: fc.oneof(str, leaf), serverAddress: fc.oneof(str, leaf) },
  { requiredKeys: [] },
);
const valueArb = fc.oneof(
  fc.record(
    { gitSecret: fc.oneof(gitArb, leaf), registrySecret: fc.oneof(regArb, leaf) },
    { requiredKeys: [] },
  ),
  leaf,
);
const slotArb = fc.oneof(
  fc.record({ metadata: fc.oneof(metadataArb, leaf), value: valueArb }, { requiredKeys: [] }),
  leaf,
);
const answers = {
  getSecret: slotArb,
  createSecret: fc.oneof(fc.record({ metadata: fc.oneof(metadataArb, leaf) }, { requiredKeys: [] }), leaf),
  listSecrets: fc.oneof(
    fc.record(
      {
        secrets: fc.oneof(fc.array(metadataArb, { maxLength: 3 }), leaf),
        nextPageToken: fc.oneof(str, leaf),
      },
      { requiredKeys: [] },
    ),
    leaf,
  ),
  deleteSecret: fc.oneof(fc.dictionary(fc.string({ maxLength: 3 }), leaf), leaf, fc.array(leaf)),
  registrySecrets: fc.oneof(
    fc.record({ secrets: fc.oneof(fc.array(slotArb, { maxLength: 3 }), leaf) }, { requiredKeys: [] }),
    leaf,
  ),
  errorBody: fc.oneof(
    fc.record(
      {
        code: fc.oneof(fc.integer(), fc.double(), leaf),
        message: fc.oneof(str, leaf),
        details: fc.oneof(fc.array(leaf), leaf),
      },
      { requiredKeys: [] },
    ),
    leaf,
  ),
};

describe('hand-written answer checks agree with the zod schemas of @dodil/shared', () => {
  for (const [name, arb] of Object.entries(answers)) {
    it(name, () => {
      const key = name as keyof WireValidators;
      fc.assert(
        fc.property(arb, (data) => {
          const lite = attempt(() => liteValidators[key](structuredClone(data)));
          const zod = attempt(() => zodValidators[key](structuredClone(data)));
          expect(lite).toEqual(zod);
        }),
        { numRuns: 1000 },
      );
    });
  }

  it.each([
    ['git slot', gitSlot('a', 'u', 't')],
    ['registry slot', registrySlot('a', 'u', 'p', 'h')],
    [
      'registry slot without serverAddress',
      { metadata: meta('a', 'registry_secret'), value: { registrySecret: { username: 'u', password: 'p' } } },
    ],
    ['extra fields are dropped', { ...gitSlot('a', 'u', 't'), extra: 1 }],
  ])('real answers: %s', (_n, data) => {
    expect(liteValidators.getSecret(data)).toEqual(zodValidators.getSecret(data));
  });
});
