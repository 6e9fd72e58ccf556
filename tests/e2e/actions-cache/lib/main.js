'use strict';
// `main` of actions/cache@v4: restore, and remember the keys for the post step.
const { restore, runStep } = require('./common');

runStep(restore, true);
