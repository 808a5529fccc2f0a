/**
 * Waiting for several Deferreds at once: four pages are fetched at the same
 * time (one of them missing), and DeferredList reports every outcome in
 * order; then gatherResults collects the pages that exist, and shows how it
 * fails with FirstError when one page is missing; then race takes the
 * first page to arrive and cancels the others.
 *
 * Usage: `deno run -A packages/examples/deferred_list.ts [site-url]`; with
 * no URL, it serves the tutorial's small site itself.
 *
 * @module
 */
import process from "node:process";
import {
  DeferredList,
  type DeferredListResult,
  type Failure,
  FirstError,
  gatherResults,
  race,
} from "@twixt/defer";
import { reactor } from "@twixt/reactor";
import { getPage } from "@twixt/web-client";
import { localSite } from "./site.ts";

const site = process.argv[2] ?? await localSite(reactor);
const paths = ["mushrooms", "recipes", "guests", "does-not-exist"];

function getPath(path: string) {
  return getPage(new URL(path, site).href);
}

function printOutcomes(results: DeferredListResult<string>): void {
  console.log("DeferredList, every outcome in order:");
  results.forEach(([success, result], i) => {
    const text = success ? result.trim() : String(result);
    console.log(`  ${success ? "ok    " : "failed"} /${paths[i]}: ${text}`);
  });
}

function printPages(pages: string[]): void {
  console.log("gatherResults, the three pages that exist:");
  for (const page of pages) console.log(`  ${page.trim()}`);
}

function printFirstError(failure: Failure): void {
  failure.trap(FirstError);
  const error = failure.value as FirstError;
  console.log(
    `gatherResults with the missing page fails: page ${error.index} (/${
      paths[error.index]
    }): ${error.subFailure.getErrorMessage()}`,
  );
}

function printWinner([index, page]: [number, string]): void {
  console.log(`race: /${paths[index]} came first: ${page.trim()}`);
}

// Each add* returns the same Deferred, typed with the new result, so the
// steps are written as one chain.
DeferredList(paths.map(getPath), { consumeErrors: true })
  .addCallback(printOutcomes)
  .addCallback(() => gatherResults(paths.slice(0, 3).map(getPath)))
  .addCallback(printPages)
  .addCallback(() => gatherResults(paths.map(getPath), true))
  .addErrback(printFirstError)
  .addCallback(() => race(paths.slice(0, 3).map(getPath)))
  .addCallback(printWinner)
  .addErrback((f: Failure) => console.log(`Unexpected: ${f}`))
  .addBoth(() => reactor.stop());

reactor.run();
