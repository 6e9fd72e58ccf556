'use strict';
// Shared logic of the local stand-in for actions/cache@v4 (see ../README.md).
//
// It mirrors the observable behaviour of actions/cache v4: restore in `main`, save in
// `post`, `cache-hit` true only on an exact (case-insensitive) primary-key match, no save
// after an exact hit, state handed from main to post with core.saveState/getState.

// act's built-in cache server speaks the legacy (v1, REST "_apis/artifactcache") protocol.
// @actions/cache picks the v2 (twirp) protocol whenever ACTIONS_CACHE_SERVICE_V2 is set,
// so force v1 here, before the library reads its configuration.
delete process.env.ACTIONS_CACHE_SERVICE_V2;
if (!process.env.ACTIONS_CACHE_URL && process.env.ACTIONS_RESULTS_URL) {
  process.env.ACTIONS_CACHE_URL = process.env.ACTIONS_RESULTS_URL;
}

let core;
let cache;
try {
  core = require('@actions/core');
  cache = require('@actions/cache');
} catch (error) {
  const where = require('path').resolve(__dirname, '..');
  process.stdout.write(
    `::error::actions/cache stand-in: its node_modules is missing; run "npm ci" in ${where}\n`
  );
  throw error;
}

const Inputs = Object.freeze({
  Key: 'key',
  Path: 'path',
  RestoreKeys: 'restore-keys',
  EnableCrossOsArchive: 'enableCrossOsArchive',
  FailOnCacheMiss: 'fail-on-cache-miss',
  LookupOnly: 'lookup-only',
});

const Outputs = Object.freeze({
  CacheHit: 'cache-hit',
  CachePrimaryKey: 'cache-primary-key',
  CacheMatchedKey: 'cache-matched-key',
});

const State = Object.freeze({
  PrimaryKey: 'CACHE_KEY',
  MatchedKey: 'CACHE_RESULT',
});

/** Multi-line input -> list of non-empty trimmed lines ("! x" becomes "!x"). */
function getInputAsArray(name, options) {
  return core
    .getInput(name, options)
    .split('\n')
    .map((line) => line.replace(/^!\s+/, '!').trim())
    .filter((line) => line !== '');
}

function getInputAsBool(name) {
  return core.getInput(name).trim().toLowerCase() === 'true';
}

/** actions/cache compares keys ignoring case (act's server also lowercases them). */
function isExactKeyMatch(key, cacheKey) {
  return Boolean(
    cacheKey && key && cacheKey.localeCompare(key, undefined, { sensitivity: 'accent' }) === 0
  );
}

function errorMessage(error) {
  return error instanceof Error ? error.message : String(error);
}

/** A ref is needed to scope the cache, as on GitHub. */
function isValidEvent() {
  return Boolean(process.env.GITHUB_REF);
}

/**
 * Restore step. `withState` is true for the combined action (state for the post step),
 * false for actions/cache/restore (primary and matched keys become outputs instead).
 */
async function restore(withState) {
  const remember = (state, output, value) => {
    // Both flavours publish the keys as outputs: the stand-in is a superset of actions/cache.
    core.setOutput(output, value);
    if (withState) {
      core.saveState(state, value);
    }
  };
  try {
    if (!cache.isFeatureAvailable()) {
      core.warning('Cache service is not available (ACTIONS_CACHE_URL unset): not restoring.');
      core.setOutput(Outputs.CacheHit, 'false');
      return;
    }
    if (!isValidEvent()) {
      core.warning('GITHUB_REF is not set: the cache cannot be scoped, not restoring.');
      return;
    }
    const primaryKey = core.getInput(Inputs.Key, { required: true });
    remember(State.PrimaryKey, Outputs.CachePrimaryKey, primaryKey);
    const restoreKeys = getInputAsArray(Inputs.RestoreKeys);
    const cachePaths = getInputAsArray(Inputs.Path, { required: true });
    const enableCrossOsArchive = getInputAsBool(Inputs.EnableCrossOsArchive);
    const failOnCacheMiss = getInputAsBool(Inputs.FailOnCacheMiss);
    const lookupOnly = getInputAsBool(Inputs.LookupOnly);

    const matchedKey = await cache.restoreCache(
      cachePaths.slice(),
      primaryKey,
      restoreKeys,
      { lookupOnly },
      enableCrossOsArchive
    );
    if (!matchedKey) {
      // Like actions/cache v4 (since 4.1.1, actions/cache#1466): on a miss `cache-hit` is
      // left unset, so it reads as '' in expressions. Test it with `!= 'true'`.
      if (failOnCacheMiss) {
        throw new Error(
          `Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${primaryKey}`
        );
      }
      core.info(`Cache not found for input keys: ${[primaryKey, ...restoreKeys].join(', ')}`);
      return;
    }
    remember(State.MatchedKey, Outputs.CacheMatchedKey, matchedKey);
    const exact = isExactKeyMatch(primaryKey, matchedKey);
    core.setOutput(Outputs.CacheHit, exact.toString());
    if (lookupOnly) {
      core.info(`Cache found and can be restored from key: ${matchedKey}`);
    } else {
      core.info(`Cache restored from key: ${matchedKey}`);
    }
  } catch (error) {
    core.setFailed(errorMessage(error));
  }
}

/**
 * Save step. `withState` is true for the post step of the combined action (key and matched
 * key come from the main step's state), false for actions/cache/save (key from the input).
 */
async function save(withState) {
  try {
    if (!cache.isFeatureAvailable()) {
      core.warning('Cache service is not available (ACTIONS_CACHE_URL unset): not saving.');
      return;
    }
    if (!isValidEvent()) {
      core.warning('GITHUB_REF is not set: the cache cannot be scoped, not saving.');
      return;
    }
    const primaryKey =
      (withState ? core.getState(State.PrimaryKey) : '') || core.getInput(Inputs.Key);
    if (!primaryKey) {
      core.warning('Key is not specified.');
      return;
    }
    if (withState) {
      const matchedKey = core.getState(State.MatchedKey);
      if (isExactKeyMatch(primaryKey, matchedKey)) {
        core.info(`Cache hit occurred on the primary key ${primaryKey}, not saving cache.`);
        return;
      }
    }
    const cachePaths = getInputAsArray(Inputs.Path, { required: true });
    const enableCrossOsArchive = getInputAsBool(Inputs.EnableCrossOsArchive);
    const cacheId = await cache.saveCache(cachePaths, primaryKey, {}, enableCrossOsArchive);
    if (cacheId !== -1) {
      core.info(`Cache saved with key: ${primaryKey}`);
    }
  } catch (error) {
    // Like actions/cache: a failed save never fails the job.
    core.warning(errorMessage(error));
  }
}

/**
 * Run one step and exit: dangling keep-alive sockets or retry timers of the HTTP client must
 * not keep node (and so the job) alive. core.setFailed has set process.exitCode on failure.
 */
function runStep(step, withState) {
  step(withState).finally(() => process.exit());
}

module.exports = { restore, save, runStep, isExactKeyMatch };
