// `npm run build` for the server: dist/main.cjs and dist/sea/main.cjs (see bundle-options.mjs),
// both release bundles: every bench variant defined off.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfoDefine } from '../../scripts/sea/build-info.mjs';
import { assertSeaLoadable } from '../../scripts/sea/bundle-checks.mjs';
import { serverBundleOptions } from './bundle-options.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const buildDefine = buildInfoDefine();

const [, sea] = await Promise.all([
  build(serverBundleOptions({ kind: 'node', outfile: join(here, 'dist/main.cjs'), buildDefine })),
  build(serverBundleOptions({ kind: 'sea', outfile: join(here, 'dist/sea/main.cjs'), buildDefine })),
]);
assertSeaLoadable(sea.metafile, 'packages/server/dist/sea/main.cjs');
