// The two files of the built program (packages/helper/build.mjs): dist/dodil.cjs, started by every
// git and docker operation, and dist/dodil-cli.cjs, the CLI and zod, loaded on first use.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helperRoot, repoRoot } from './harness';

const read = (file: string) => readFileSync(join(helperRoot, 'dist', file), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('the split bundle', () => {
  const hot = read('dodil.cjs');
  const cold = read('dodil-cli.cjs');

  it('loads the cold part as a plain module: no vm, no compressed text', () => {
    for (const text of [hot, cold]) {
      expect(text).not.toMatch(/node:vm|runInThisContext|brotliDecompress/);
    }
    expect(hot).toContain('require("./dodil-cli.cjs")');
  });

  it('has one copy of each of our error classes, so instanceof holds across the parts', () => {
    const names = [join(helperRoot, 'src'), join(repoRoot, 'packages/shared/src')]
      .flatMap(sources)
      .flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/this\.name = '(\w+)'/g)].map((m) => m[1] ?? ''),
      );
    expect(names).toContain('CliError');
    for (const name of names) {
      const defined = new RegExp(`name ?= ?"${name}"`, 'g');
      const copies = (hot.match(defined) ?? []).length + (cold.match(defined) ?? []).length;
      expect(copies, name).toBe(1);
    }
  });

  it('keeps zod out of the hot part', () => {
    expect(hot).not.toContain('ZodError');
    expect(cold).toContain('ZodError');
  });
});
