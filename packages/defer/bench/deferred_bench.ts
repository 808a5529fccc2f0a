/**
 * Deferred against native Promises under `deno bench` (part of
 * `npm run bench`), with the cases of `_cases.ts`, where each pair does
 * the same work with the same number of `await`s. The Promise case of each
 * group is the baseline. `deno bench` runs each case alone and averages
 * every iteration; the interleaved medians of `compare/deferred.ts` (run
 * on Deno, Bun and Node by `run.ts`) are the figures the README quotes.
 *
 * @module
 */
import * as cases from "./_cases.ts";

addEventListener("unload", () => {
  if (Number.isNaN(cases.sink.value)) console.log(cases.sink.value);
});

const groups: [string, () => Promise<void>, () => Promise<void>][] = [
  ["mixed workload (one unit)", cases.mixedDeferred, cases.mixedPromise],
  [
    `create, 10 callbacks, fire (${cases.BATCH} chains)`,
    cases.deferredTenBatch,
    cases.promiseTenBatch,
  ],
  [
    `a callback throws, an errback recovers (${cases.BATCH} chains)`,
    cases.deferredFailBatch,
    cases.promiseFailBatch,
  ],
  [
    "100,000-deep nesting",
    () => cases.deferredNest(100_000),
    () => cases.promiseNest(100_000),
  ],
  [
    "gather 100,000",
    () => cases.deferredGather(100_000),
    () => cases.promiseGather(100_000),
  ],
];

for (const [group, deferred, promise] of groups) {
  Deno.bench({ name: `Deferred: ${group}`, group, fn: deferred });
  Deno.bench({ name: `Promise: ${group}`, group, baseline: true, fn: promise });
}
