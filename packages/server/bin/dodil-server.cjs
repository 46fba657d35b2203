#!/usr/bin/env node
'use strict';
// `npx dodil-server` after `npm run build`: the bundle does the rest.
const path = require('node:path');

const bundle = path.join(__dirname, '..', 'dist', 'main.cjs');
try {
  require.resolve(bundle);
} catch {
  process.stderr.write('dodil-server: not built yet; run `npm run build` in the checkout first\n');
  process.exit(1);
}
require(bundle);
