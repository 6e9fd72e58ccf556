'use strict';
// actions/cache/save v5.0.5: save under the `key` input.
const { saveOnly, runStep, noPostStep } = require('./common');

runStep(saveOnly, noPostStep);
