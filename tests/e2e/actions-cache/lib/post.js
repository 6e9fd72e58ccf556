'use strict';
// `post` of actions/cache@v4: save unless the main step had an exact primary-key hit.
const { save, runStep } = require('./common');

runStep(save, true);
