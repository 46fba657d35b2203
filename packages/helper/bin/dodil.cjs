#!/usr/bin/env node
// npm's bin entry for `dodil`: the program is the bundle (npm run build).
'use strict';
require('../dist/dodil.cjs');
