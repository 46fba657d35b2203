// One Node.js single executable application (SEA) from one CommonJS bundle, with Node 20's own
// tools only: `node --experimental-sea-config` writes the blob, a copy of this very `node` binary
// receives it through postject. Nothing is downloaded, so it works in air-gapped builds.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** Fixed by Node: the string postject flips so the binary looks for its blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * Builds `outFile` from `main`, with a V8 code cache of the main script. The cache is made by
 * the same `node` binary that becomes the executable, which V8 requires for it to be accepted.
 * @param {{
 *   main: string, outFile: string, workDir: string,
 *   assets?: Record<string, string>, strip?: boolean,
 * }} options
 */
export function makeSea({ main, outFile, workDir, assets = {}, strip = false }) {
  mkdirSync(workDir, { recursive: true });
  const blob = join(workDir, 'sea-prep.blob');
  const config = join(workDir, 'sea-config.json');
  writeFileSync(
    config,
    `${JSON.stringify(
      {
        main,
        output: blob,
        disableExperimentalSEAWarning: true,
        // Compiled code ships in the blob, so a start skips most parsing. (A startup snapshot was
        // measured slower for the helper and breaks under V8 flags in NODE_OPTIONS; not used.)
        useSnapshot: false,
        useCodeCache: true,
        assets,
      },
      null,
      2,
    )}\n`,
  );
  run(process.execPath, ['--experimental-sea-config', config], `blob for ${outFile}`);

  rmSync(outFile, { force: true });
  copyFileSync(process.execPath, outFile);
  chmodSync(outFile, 0o755);
  // Debian's node carries ~12 MB of symbol tables and debug info. --strip-all keeps .dynsym, the
  // table native addons (better-sqlite3) resolve napi_* against, so only native stack symbols go.
  if (strip) run('strip', ['--strip-all', outFile], `strip ${outFile}`);
  const postject = join(require.resolve('postject/package.json'), '..', 'dist', 'cli.js');
  run(
    process.execPath,
    [postject, outFile, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE],
    `inject blob into ${outFile}`,
  );
}

/** Runs a build step; its chatter is shown only when it fails. */
function run(command, args, what) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    const reason = result.error?.message ?? `exit ${result.status ?? result.signal}`;
    throw new Error(`${what} failed (${command}: ${reason})${output === '' ? '' : `\n${output}`}`);
  }
}

/** Whether `strip` is on PATH (binutils); without it the binaries are just ~12 MB larger. */
export function haveStrip() {
  const result = spawnSync('strip', ['--version'], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}
