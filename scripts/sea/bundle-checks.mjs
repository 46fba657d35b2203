// A Node 20 single executable runs its bundle as a CommonJS script that can `require` built-in
// modules only and has no dynamic `import()` at all ("A dynamic import callback was not
// specified"). These would fail only when that code path runs, so they fail the build instead.
import { isBuiltin } from 'node:module';

/**
 * Throws if an esbuild metafile shows a runtime import the single executable cannot satisfy.
 * @param {import('esbuild').Metafile} metafile
 * @param {string} what  named in the error
 */
export function assertSeaLoadable(metafile, what) {
  const problems = [];
  for (const [output, info] of Object.entries(metafile.outputs)) {
    for (const entry of info.imports) {
      if (!entry.external) continue;
      if (entry.kind === 'dynamic-import') {
        problems.push(`${output}: import(${JSON.stringify(entry.path)}) (bundle it or use a static import)`);
      } else if (!isBuiltin(entry.path)) {
        problems.push(`${output}: require(${JSON.stringify(entry.path)}) of a non-built-in module`);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(`${what} cannot run as a single executable:\n  ${problems.join('\n  ')}`);
  }
}
