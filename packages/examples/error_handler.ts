/**
 * The tutorial's third program: the page does not exist, so getPage's
 * Deferred fails, and the errback errorHandler gets the Failure.
 *
 * Usage: `deno run -A packages/examples/error_handler.ts [url]`; with no
 * URL, it asks a small site this program serves itself for a page that
 * site does not have.
 *
 * @module
 */
import process from "node:process";
import type { Failure } from "@twixt/defer";
import { reactor } from "@twixt/reactor";
import { getPage } from "@twixt/web-client";
import { localSite } from "./site.ts";

/**
 * This is an 'errback' function, added to the Deferred which will call it
 * in the event of an error.
 */
function errorHandler(error: Failure): void {
  // This isn't a very effective handling of the error, we just print it out:
  console.log(`An error has occurred: <${error}>`);
  // and then we stop the entire process:
  reactor.stop();
}

/**
 * This is a 'callback' function, added to the Deferred and called by it
 * with the page content.
 */
function printContents(contents: string): void {
  console.log(contents);
  reactor.stop();
}

// We request a page which doesn't exist in order to demonstrate the error
// chain. (No URL given: serve the pages ourselves; the site closes with the
// reactor.)
const url = process.argv[2] ?? await localSite(reactor, "/does-not-exist");

const deferred = getPage(url);

// Add the callback to the Deferred to handle the page content.
deferred.addCallback(printContents);

// Add the errback to the Deferred to handle any errors.
deferred.addErrback(errorHandler);

reactor.run();
