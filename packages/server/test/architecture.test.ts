import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Every relative import of every .ts file under `dir` (of src), as paths relative to src. */
function importsUnder(dir: string): Array<{ file: string; target: string }> {
  const out: Array<{ file: string; target: string }> = [];
  for (const entry of readdirSync(join(src, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    const text = readFileSync(path, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const spec = m[1];
      if (spec === undefined) continue;
      out.push({ file: relative(src, path), target: relative(src, resolve(dirname(path), spec)) });
    }
  }
  return out;
}

const crossing = (dir: string, forbidden: readonly string[]) =>
  importsUnder(dir)
    .filter(({ target }) => forbidden.some((f) => target === f || target.startsWith(`${f}/`)))
    .map(({ file, target }) => `${file} -> ${target}`);

test('http/ and rpc/ do not import each other (the shared edge lives in edge/)', () => {
  // The scan sees imports at all (an empty scan would pass anything).
  expect(importsUnder('rpc').filter(({ target }) => target.startsWith('edge/')).length).toBeGreaterThan(2);
  expect(crossing('http', ['rpc'])).toEqual([]);
  expect(crossing('rpc', ['http'])).toEqual([]);
});

test('storage/ imports neither audit/ nor crypto/; crypto/ does not import storage/', () => {
  expect(crossing('storage', ['audit', 'crypto'])).toEqual([]);
  expect(crossing('crypto', ['storage'])).toEqual([]);
});

test('CLI commands never reach into the database or the stores', () => {
  const text = readdirSync(join(src, 'cli', 'commands'))
    .map((f) => readFileSync(join(src, 'cli', 'commands', f), 'utf8'))
    .join('\n');
  expect(text).not.toMatch(/runtime\.(db|stores)\b/);
  expect(
    crossing('cli', ['storage/sqlite-audit-store', 'storage/sqlite-key-store', 'storage/sqlite-storage']),
  ).toEqual([]);
});
