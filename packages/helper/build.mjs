// Bundles the `dodil` program into one CommonJS file, dist/dodil.cjs.
//
// Start-up time is the design constraint: git starts the helper for every
// fetch/push, skopeo several times per command. So the bundle is split in two:
//
// - the hot part (src/main.ts: run.ts, the git and docker helpers, the API
//   client with hand-written answer checks) is plain code;
// - the cold part (the CLI commands and zod, the modules named in COLD) is
//   bundled separately and embedded as a brotli-compressed base64 string,
//   decompressed and compiled only when a command needs it. Merely having
//   zod's ~800 KB of code in the file costs ~10 ms of parsing on every start;
//   as compressed text it costs well under 1 ms.
//
// Inside the hot part, `@dodil/shared` resolves to its `./lite` export (the
// zod-free modules, packages/shared/src/lite.ts), so a hot import of a schema
// fails the build instead of slowing every git operation. The build also
// fails if zod or server code reaches the hot part, or server code reaches
// the cold part.
import { brotliCompressSync, constants as zlibConstants } from 'node:zlib';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildInfo, buildInfoDefine } from '../../scripts/sea/build-info.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const COLD = ['src/commands/cli.ts', 'src/wire/zod.ts'].map((p) => resolve(here, p));

// The same version and commit stamp as the single executables (scripts/sea/build-info.mjs).
const { version, commit } = buildInfo();
const define = buildInfoDefine({ version, commit });
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', define, metafile: true, logLevel: 'warning' };

function assertInputs(metafile, label, forbidden) {
  for (const input of Object.keys(metafile.inputs)) {
    for (const [pattern, why] of forbidden) {
      if (pattern.test(input)) throw new Error(`${label} bundle must not contain ${input}: ${why}`);
    }
  }
}

// 1. The cold part, as text.
const coldEntry = COLD.map((p) => `export * from ${JSON.stringify(p)};`).join('\n');
const cold = await build({
  ...common,
  stdin: { contents: coldEntry, resolveDir: here, loader: 'ts', sourcefile: 'dodil-cold-entry.ts' },
  write: false,
  minify: true,
  outfile: 'dodil-cli.cjs',
});
assertInputs(cold.metafile, 'cold', [[/packages\/server\/|^\.\.\/server\//, 'server code stays out of the client']]);
const coldText = cold.outputFiles[0].text;
const coldPacked = brotliCompressSync(Buffer.from(coldText), { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }).toString('base64');

// 2. The hot part, with the cold part embedded.
const splitPlugin = {
  name: 'dodil-split',
  setup(b) {
    // The package's own zod-free entry: a hot import of a schema is a missing export.
    b.onResolve({ filter: /^@dodil\/shared$/ }, (args) =>
      b.resolve('@dodil/shared/lite', { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'dodil-split' }),
    );
    b.onResolve({ filter: /^\./ }, async (args) => {
      if (args.pluginData === 'dodil-split') return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'dodil-split' });
      if (!COLD.includes(r.path)) return r;
      if (args.kind !== 'dynamic-import') {
        return { errors: [{ text: `${relative(here, r.path)} is cold code: import it with await import() only` }] };
      }
      return { path: 'cold', namespace: 'dodil-cold' };
    });
    b.onLoad({ filter: /.*/, namespace: 'dodil-cold' }, () => ({
      contents: `// The CLI commands and zod, compiled on first use (see build.mjs).
const packed = ${JSON.stringify(coldPacked)};
const code = require('node:zlib').brotliDecompressSync(Buffer.from(packed, 'base64')).toString('utf8');
const wrapper = require('node:vm').runInThisContext('(function (exports, require, module) {' + code + '\\n})', { filename: 'dodil-cli.cjs' });
const m = { exports: {} };
wrapper(m.exports, require, m);
module.exports = m.exports;
`,
      loader: 'js',
    }));
  },
};
const outFile = join(here, 'dist/dodil.cjs');
const hot = await build({
  ...common,
  entryPoints: [join(here, 'src/main.ts')],
  outfile: outFile,
  write: false,
  banner: { js: '#!/usr/bin/env node' },
  plugins: [splitPlugin],
});
assertInputs(hot.metafile, 'hot', [
  [/node_modules\/zod\//, 'zod costs ~15 ms of start-up on every git operation'],
  [/packages\/server\/|^\.\.\/server\//, 'server code stays out of the client'],
]);
// Written atomically: tests and git may be running the previous bundle right now.
mkdirSync(join(here, 'dist'), { recursive: true });
const tmp = `${outFile}.${process.pid}.tmp`;
writeFileSync(tmp, hot.outputFiles[0].contents, { mode: 0o755 });
chmodSync(tmp, 0o755);
renameSync(tmp, outFile);
const size = (n) => `${(n / 1024).toFixed(0)} KiB`;
const hotBytes = readFileSync(join(here, 'dist/dodil.cjs')).length;
writeFileSync(join(here, 'dist/build-info.json'), `${JSON.stringify({ version, commit, hotBytes, coldBytes: coldText.length, coldPackedBytes: coldPacked.length })}\n`);
console.log(`dist/dodil.cjs ${size(hotBytes)} (cold part ${size(coldText.length)}, packed ${size(coldPacked.length)}), version ${version}, commit ${commit}`);
