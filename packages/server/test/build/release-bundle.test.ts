import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, test } from 'vitest';
import { BENCH_VARIANTS, benchDefineName, serverBundleOptions } from '../../bundle-options.mjs';

// Bench variants turn the audit log or fsync off. They exist only as build-time constants; these
// tests prove the release bundles (`npm run build`: dist/main.cjs, and dist/sea/main.cjs inside
// the single executable) carry none of them, not even as a switch left for the runtime.

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RELEASE = ['dist/main.cjs', 'dist/sea/main.cjs'];
/**
 * Text only a variant's branch contains. (`synchronous = NORMAL` alone is no marker: the server's
 * connection uses it with its own awaited WAL fsync, storage/wal-sync.ts.)
 */
const VARIANT_ONLY = ['bench variant no-fsync', 'mmap_size', 'cache_size', 'wal_autocheckpoint'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('release bundles', () => {
  test.each(RELEASE)('%s contains no bench variant', (file) => {
    const path = join(packageDir, file);
    if (!existsSync(path))
      throw new Error(`${path} is missing: run \`npx turbo run build\` (npm test does) first`);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('__DODIL_BENCH_');
    for (const marker of VARIANT_ONLY) expect(text, marker).not.toContain(marker);
    // The durable setting is there instead.
    expect(text).toContain('synchronous = FULL');
  });

  test('every variant is a switch in the sources, declared once', () => {
    const sources = sourceFiles(join(packageDir, 'src')).map((f) => readFileSync(f, 'utf8'));
    const declared = readFileSync(join(packageDir, 'src/build/bench-variants.ts'), 'utf8');
    for (const variant of BENCH_VARIANTS) {
      const name = benchDefineName(variant);
      expect(declared, variant).toContain(`const ${name}: boolean | undefined;`);
      // Used somewhere besides its declaration.
      expect(sources.filter((s) => new RegExp(`&&\\s*${name}`).test(s)).length, variant).toBeGreaterThan(0);
    }
  });

  test('the markers are real: a bundle with every variant on carries them', async () => {
    // In memory, nothing written: only checks that the markers above would catch a variant.
    const result = await build({
      ...serverBundleOptions({
        kind: 'node',
        outfile: 'variants.cjs',
        buildDefine: {},
        variants: BENCH_VARIANTS,
      }),
      write: false,
      sourcemap: false,
      logLevel: 'error',
    });
    const text = result.outputFiles[0]?.text ?? '';
    expect(text).not.toContain('__DODIL_BENCH_');
    for (const marker of VARIANT_ONLY) expect(text, marker).toContain(marker);
  });
});
