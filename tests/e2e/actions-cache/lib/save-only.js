'use strict';
// actions/cache/save@v4: save under the `key` input.
const { save, runStep } = require('./common');

runStep(save, false);
