/**
 * Deferred against native Promises, in one run:
 * `npx deno bench -A packages/defer/bench/`. Prints the memory table first.
 * The Promise case of each group is the baseline.
 *
 * @module
 */
import * as cases from "./_cases.ts";

// Results go here so that no case can be optimised away.
let sink = 0;
addEventListener("unload", () => {
  if (Number.isNaN(sink)) console.log(sink);
});

console.log("Heap bytes per pending item (100,000 kept alive):");
for (const kind of ["deferred", "promise", "promise+resolve"] as const) {
  console.log(`  ${kind.padEnd(16)} ${cases.bytesPerPending(kind).toFixed(1)}`);
}

const groups: [string, string, () => number, string, () => Promise<number>][] =
  [
    [
      "ten callbacks",
      "Deferred: create, 10 callbacks, fire",
      cases.deferredTen,
      "Promise: create, 10 thens, resolve, await",
      cases.promiseTen,
    ],
    [
      "nesting",
      "Deferred: 100,000 nested, fired outermost first",
      () => cases.deferredNest(),
      "Promise: 100,000 nested (each resolved with the next)",
      () => cases.promiseNest(),
    ],
    [
      "gather",
      "gatherResults over 100,000 Deferreds",
      () => cases.gatherDeferreds(),
      "Promise.all over 100,000 Promises",
      () => cases.promiseAll(),
    ],
  ];

for (const [group, dName, deferred, pName, promise] of groups) {
  Deno.bench({
    name: dName,
    group,
    fn: () => {
      sink += deferred();
    },
  });
  Deno.bench({
    name: pName,
    group,
    baseline: true,
    fn: async () => {
      sink += await promise();
    },
  });
}
