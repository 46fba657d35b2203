// Re-bundles a program's CommonJS bundle for a Node 20 single executable, whose main script can
// `require` built-in modules only and has no dynamic `import()` ("A dynamic import callback was
// not specified"). The helper loads node:http/node:https with `await import()` so that a git
// operation that never needs TLS never pays for it; here each such import becomes a bundled
// one-line module that `require`s the built-in on first use, which keeps the laziness.
import { build } from 'esbuild';
import { isBuiltin } from 'node:module';
import { assertSeaLoadable } from './bundle-checks.mjs';

/** `import('node:x')` → a bundled `module.exports = require('node:x')`, evaluated on first use. */
export const bundledBuiltinImports = {
  name: 'bundled-builtin-imports',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (args) => {
      if (args.kind !== 'dynamic-import' || !isBuiltin(args.path)) return undefined;
      return { path: args.path, namespace: 'builtin-import' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-import' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/**
 * Writes `outFile` from `mainFile` (TypeScript source or an existing CommonJS bundle) and fails
 * if anything in it could not load inside the executable.
 * @param {{ mainFile: string, outFile: string, define?: Record<string, string>, absWorkingDir: string }} options
 */
export async function bundleForSea({ mainFile, outFile, define = {}, absWorkingDir }) {
  const result = await build({
    entryPoints: [mainFile],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    define,
    logLevel: 'warning',
    legalComments: 'none',
    // Whitespace and syntax only: identifiers stay, so stack traces stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    outfile: outFile,
    absWorkingDir,
    plugins: [bundledBuiltinImports],
  });
  assertSeaLoadable(result.metafile, mainFile);
}
