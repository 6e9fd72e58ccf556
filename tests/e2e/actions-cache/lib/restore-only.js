'use strict';
// actions/cache/restore@v4: restore only, keys published as outputs.
const { restore, runStep } = require('./common');

runStep(restore, false);
