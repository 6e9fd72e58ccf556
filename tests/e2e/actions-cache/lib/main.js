'use strict';
// `main` of actions/cache v5.0.5: restore; the keys go to the post step as state, and only
// `cache-hit` is published.
const { restore, runStep, postStepState } = require('./common');

runStep(restore, postStepState);
