#!/usr/bin/env node
// npm's bin entry for `docker-credential-dodil`: the same program as `dodil`; it picks its protocol from this name.
'use strict';
require('../dist/dodil.cjs');
