'use strict';
// Shared logic of the local stand-in for actions/cache v5.0.5 (see ../README.md).
//
// It reproduces the observable behaviour of actions/cache v5.0.5 (its src/restoreImpl.ts,
// src/saveImpl.ts, src/stateProvider.ts and src/utils/actionUtils.ts): restore in `main`,
// save in `post`; `cache-hit` true only on an exact (case-insensitive) primary-key match; the
// combined action hands its keys to the post step as state and publishes only `cache-hit`,
// actions/cache/restore publishes the keys as outputs instead.

// act's built-in cache server speaks the legacy cache protocol (v1, REST "_apis/artifactcache",
// found through ACTIONS_CACHE_URL). @actions/cache 5.0.5 still implements it, but picks the v2
// (twirp) protocol whenever ACTIONS_CACHE_SERVICE_V2 is set, as GitHub's runners set it: force
// v1 here, before the library reads its configuration.
delete process.env.ACTIONS_CACHE_SERVICE_V2;

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
  UploadChunkSize: 'upload-chunk-size',
  EnableCrossOsArchive: 'enableCrossOsArchive',
  FailOnCacheMiss: 'fail-on-cache-miss',
  LookupOnly: 'lookup-only',
});

const Outputs = Object.freeze({
  CacheHit: 'cache-hit',
  CachePrimaryKey: 'cache-primary-key',
  CacheMatchedKey: 'cache-matched-key',
});

// The state names the real action uses, so a post step reads what its main step wrote.
const State = Object.freeze({
  PrimaryKey: 'CACHE_KEY',
  MatchedKey: 'CACHE_RESULT',
});

/**
 * Where the keys found by a restore go. The combined action keeps them as step state for its
 * post step and never publishes them. actions/cache/restore and actions/cache/save have no
 * post step: a restore publishes the keys as `cache-primary-key` and `cache-matched-key`
 * outputs instead, and a save finds nothing remembered (its key comes from the input).
 */
const postStepState = Object.freeze({
  set: (name, value) => core.saveState(name, value),
  get: (name) => core.getState(name),
});

const noPostStep = Object.freeze({
  set: (name, value) =>
    core.setOutput(
      name === State.PrimaryKey ? Outputs.CachePrimaryKey : Outputs.CacheMatchedKey,
      value
    ),
  get: () => '',
});

/** Multi-line input -> list of non-empty trimmed lines ("! x" becomes "!x"). */
function getInputAsArray(name, options) {
  return core
    .getInput(name, options)
    .split('\n')
    .map((line) => line.replace(/^!\s+/, '!').trim())
    .filter((line) => line !== '');
}

/** Only the exact text "true" (any case) is true, as in the real action. */
function getInputAsBool(name) {
  return core.getInput(name).toLowerCase() === 'true';
}

/** A non-negative integer, or undefined (the library's default) for anything else. */
function getInputAsInt(name) {
  const value = parseInt(core.getInput(name), 10);
  return Number.isNaN(value) || value < 0 ? undefined : value;
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

/**
 * The real action's soft warnings are plain log lines with a "[warning]" prefix, not
 * `::warning::` annotations: they never show on the run's summary page.
 */
function logWarning(message) {
  core.info(`[warning]${message}`);
}

/** GitHub Enterprise Server: any host but github.com, *.ghe.com and *.localhost. */
function isGhes() {
  const host = new URL(process.env.GITHUB_SERVER_URL || 'https://github.com').hostname
    .trimEnd()
    .toUpperCase();
  return !(host === 'GITHUB.COM' || host.endsWith('.GHE.COM') || host.endsWith('.LOCALHOST'));
}

function isCacheFeatureAvailable() {
  if (cache.isFeatureAvailable()) {
    return true;
  }
  logWarning(
    isGhes()
      ? 'Cache action is only supported on GHES version >= 3.5 with the Actions cache service enabled.'
      : 'An internal error has occurred in cache backend (no cache service URL): not caching.'
  );
  return false;
}

/** A ref is needed to scope the cache, as on GitHub. */
function isValidEvent() {
  return Boolean(process.env.GITHUB_REF);
}

function warnInvalidEvent() {
  logWarning(
    `Event Validation Error: The event type ${process.env.GITHUB_EVENT_NAME} is not supported ` +
      "because it's not tied to a branch or tag ref."
  );
}

/**
 * The restore step: `main` of actions/cache (state = postStepState) or of
 * actions/cache/restore (state = noPostStep). A failure fails the step.
 */
async function restore(state) {
  try {
    if (!isCacheFeatureAvailable()) {
      core.setOutput(Outputs.CacheHit, 'false');
      return;
    }
    if (!isValidEvent()) {
      warnInvalidEvent();
      return;
    }
    const primaryKey = core.getInput(Inputs.Key, { required: true });
    state.set(State.PrimaryKey, primaryKey);
    const restoreKeys = getInputAsArray(Inputs.RestoreKeys);
    const cachePaths = getInputAsArray(Inputs.Path, { required: true });
    const enableCrossOsArchive = getInputAsBool(Inputs.EnableCrossOsArchive);
    const failOnCacheMiss = getInputAsBool(Inputs.FailOnCacheMiss);
    const lookupOnly = getInputAsBool(Inputs.LookupOnly);

    const matchedKey = await cache.restoreCache(
      cachePaths,
      primaryKey,
      restoreKeys,
      { lookupOnly },
      enableCrossOsArchive
    );
    if (!matchedKey) {
      // On a miss `cache-hit` stays unset, so it reads as '' in expressions (kept by
      // actions/cache since v4.1.1, actions/cache#1466). Test it with `!= 'true'`.
      if (failOnCacheMiss) {
        throw new Error(
          `Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${primaryKey}`
        );
      }
      core.info(`Cache not found for input keys: ${[primaryKey, ...restoreKeys].join(', ')}`);
      return;
    }
    state.set(State.MatchedKey, matchedKey);
    core.setOutput(Outputs.CacheHit, isExactKeyMatch(primaryKey, matchedKey).toString());
    core.info(
      lookupOnly
        ? `Cache found and can be restored from key: ${matchedKey}`
        : `Cache restored from key: ${matchedKey}`
    );
  } catch (error) {
    core.setFailed(errorMessage(error));
  }
}

/**
 * The save step: `post` of actions/cache (state = postStepState: the keys its main step
 * found) or actions/cache/save (state = noPostStep: the key comes from the input). Never
 * fails the step. Returns the library's cache id, -1 when the save was attempted and
 * failed, undefined when it was skipped.
 */
async function save(state) {
  // An upload error can escape the library as an uncaught exception; it must stay a warning.
  process.on('uncaughtException', (error) => logWarning(errorMessage(error)));
  let cacheId = -1;
  try {
    if (!isCacheFeatureAvailable()) {
      return undefined;
    }
    if (!isValidEvent()) {
      warnInvalidEvent();
      return undefined;
    }
    const primaryKey = state.get(State.PrimaryKey) || core.getInput(Inputs.Key);
    if (!primaryKey) {
      logWarning('Key is not specified.');
      return undefined;
    }
    if (isExactKeyMatch(primaryKey, state.get(State.MatchedKey))) {
      core.info(`Cache hit occurred on the primary key ${primaryKey}, not saving cache.`);
      return undefined;
    }
    const cachePaths = getInputAsArray(Inputs.Path, { required: true });
    const enableCrossOsArchive = getInputAsBool(Inputs.EnableCrossOsArchive);
    if (await keyIsTaken(cachePaths, primaryKey, enableCrossOsArchive)) {
      return -1;
    }
    cacheId = await cache.saveCache(
      cachePaths,
      primaryKey,
      { uploadChunkSize: getInputAsInt(Inputs.UploadChunkSize) },
      enableCrossOsArchive
    );
    if (cacheId !== -1) {
      core.info(`Cache saved with key: ${primaryKey}`);
    }
  } catch (error) {
    logWarning(errorMessage(error));
  }
  return cacheId;
}

/**
 * GitHub refuses to save a key that already has an entry (entries are immutable: a second
 * reservation fails); act's server accepts it. With E2E_REFUSE_EXISTING_KEYS=true the stand-in
 * asks first, and refuses as @actions/cache reports GitHub's refusal (a log line, no warning).
 */
async function keyIsTaken(cachePaths, primaryKey, enableCrossOsArchive) {
  if (process.env.E2E_REFUSE_EXISTING_KEYS !== 'true') {
    return false;
  }
  const found = await cache.restoreCache(
    cachePaths.slice(),
    primaryKey,
    [],
    { lookupOnly: true },
    enableCrossOsArchive
  );
  if (!isExactKeyMatch(primaryKey, found)) {
    return false;
  }
  core.info(
    `Failed to save: Unable to reserve cache with key ${primaryKey}, another job may be ` +
      'creating this cache.'
  );
  return true;
}

/** actions/cache/save: the same save, plus an annotation when it was tried and failed. */
async function saveOnly(state) {
  if ((await save(state)) === -1) {
    core.warning('Cache save failed.');
  }
}

/**
 * Run one step and exit: dangling keep-alive sockets or retry timers of the HTTP client must
 * not keep node (and so the job) alive. core.setFailed has set process.exitCode on failure.
 */
function runStep(step, state) {
  step(state).finally(() => process.exit());
}

module.exports = {
  restore,
  save,
  saveOnly,
  runStep,
  postStepState,
  noPostStep,
  isExactKeyMatch,
};
