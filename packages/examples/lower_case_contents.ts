/**
 * The tutorial's second program: two callbacks in a chain. The page goes to
 * lowerCaseContents, and what that returns goes to printContents.
 *
 * Usage: `deno run -A packages/examples/lower_case_contents.ts [url]`; with
 * no URL, the page comes from a small site this program serves itself.
 *
 * @module
 */
import process from "node:process";
import { reactor } from "@twixt/reactor";
import { getPage } from "@twixt/web-client";
import { localSite } from "./site.ts";

/**
 * This is a 'callback' function, added to the Deferred and called by it
 * when the promised data is available. It converts all the data to lower
 * case.
 */
function lowerCaseContents(contents: string): string {
  return contents.toLowerCase();
}

/**
 * This is a 'callback' function, added to the Deferred after
 * lowerCaseContents and called by it with the result of lowerCaseContents.
 */
function printContents(contents: string): void {
  console.log(contents);
  reactor.stop();
}

// No URL given: serve the pages ourselves; the site closes with the reactor.
const url = process.argv[2] ?? await localSite(reactor);

const deferred = getPage(url);

// Add two callbacks to the Deferred -- request that it run lowerCaseContents
// when the page content has been downloaded, and then run printContents
// with the result of lowerCaseContents.
deferred.addCallback(lowerCaseContents);
deferred.addCallback(printContents);

reactor.run();
