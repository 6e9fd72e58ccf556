'use strict';
// actions/cache/restore v5.0.5: restore only; the keys become outputs.
const { restore, runStep, noPostStep } = require('./common');

runStep(restore, noPostStep);
