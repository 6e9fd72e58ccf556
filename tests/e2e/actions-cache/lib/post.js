'use strict';
// `post` of actions/cache v5.0.5 (only after a successful job): save unless the main step had
// an exact primary-key hit.
const { save, runStep, postStepState } = require('./common');

runStep(save, postStepState);
