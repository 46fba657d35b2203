import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// Code comments cite the contract as `docs/contract.md#<section>`; a renamed heading must not
// leave them pointing nowhere, and nothing may cite the old out-of-repo `SPEC §n` again.

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'dist') return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? files(path) : /\.(ts|tsx|mjs|proto)$/.test(e.name) ? [path] : [];
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replaceAll(' ', '-');

test('every docs/contract.md#anchor cited in code names a heading of the contract', () => {
  const contract = readFileSync(join(repoRoot, 'docs/contract.md'), 'utf8');
  const anchors = new Set([...contract.matchAll(/^#{1,4} (.+)$/gm)].map((m) => anchorOf(m[1] ?? '')));
  const self = fileURLToPath(import.meta.url);
  const sources = ['packages', 'proto'].flatMap((d) => files(join(repoRoot, d))).filter((f) => f !== self);
  let cited = 0;
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    expect(text, file).not.toMatch(/SPEC §/);
    for (const m of text.matchAll(/docs\/contract\.md#([\w-]+)/g)) {
      cited += 1;
      expect(anchors, `${file}: #${m[1] ?? ''}`).toContain(m[1]);
    }
  }
  expect(cited).toBeGreaterThan(10);
});
