import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { bundleForSea } from '../../../../scripts/sea/sea-bundle.mjs';

// A Node 20 single executable can require built-ins only and has no dynamic import(); the SEA
// bundle step must make lazy built-in imports work and refuse anything else at build time.
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dodil-sea-bundle-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('bundleForSea', () => {
  test('a lazy import() of a built-in is bundled and still loads only when called', async () => {
    const dir = project({
      // dgram: a built-in nothing else loads at start-up, so its load is visible.
      'main.ts': [
        "export async function later(): Promise<string> { const dgram = await import('node:dgram'); return typeof dgram.createSocket; }",
        "const loaded = () => (process as unknown as { moduleLoadList: string[] }).moduleLoadList.includes('NativeModule dgram');",
        'console.log(loaded());',
        'void later().then((kind) => console.log(kind, loaded()));',
      ].join('\n'),
    });

    await bundleForSea({ mainFile: join(dir, 'main.ts'), outFile: join(dir, 'out.cjs'), absWorkingDir: dir });

    // Run it the way a Node 20 SEA runs its main script: compiled without a dynamic-import hook.
    const runner = [
      "const { readFileSync } = require('node:fs');",
      "const { runInThisContext } = require('node:vm');",
      "const code = readFileSync(process.argv[1], 'utf8');",
      "runInThisContext('(function (require, module, exports) {' + code + '\\n})')(require, module, exports);",
    ].join('\n');
    const run = spawnSync(process.execPath, ['-e', runner, join(dir, 'out.cjs')], {
      encoding: 'utf8',
      env: {},
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('false\nfunction true\n');
  });

  test('an import() of anything else fails the build, naming it', async () => {
    const dir = project({
      'main.ts':
        "export async function f() { try { return await import('./not-bundled'); } catch { return undefined; } }\n",
    });

    await expect(
      bundleForSea({ mainFile: join(dir, 'main.ts'), outFile: join(dir, 'out.cjs'), absWorkingDir: dir }),
    ).rejects.toThrow(/cannot run as a single executable:\n.*import\("\.\/not-bundled"\)/);
  });

  test('a require() of a package that is not bundled fails the build, naming it', async () => {
    const dir = project({
      'main.cjs':
        "try { module.exports = require('left-pad-not-installed'); } catch { module.exports = null; }\n",
    });

    await expect(
      bundleForSea({ mainFile: join(dir, 'main.cjs'), outFile: join(dir, 'out.cjs'), absWorkingDir: dir }),
    ).rejects.toThrow(/require\("left-pad-not-installed"\) of a non-built-in module/);
  });
});
