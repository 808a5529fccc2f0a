/**
 * Chaining Deferreds: a callback that returns a Deferred pauses the chain it
 * is in until that Deferred fires, and the next callback gets its result.
 * Here the first callback finds a link on the front page and returns
 * getPage(link); the second callback receives the linked page, not a
 * Deferred.
 *
 * Usage: `deno run -A packages/examples/chained_deferred.ts [site-url]`;
 * with no URL, it serves the tutorial's small site itself.
 *
 * @module
 */
import process from "node:process";
import type { Deferred, Failure } from "@twixt/defer";
import { reactor } from "@twixt/reactor";
import { getPage } from "@twixt/web-client";
import { localSite } from "./site.ts";

const site = process.argv[2] ?? await localSite(reactor);

/** Returns the Deferred of the first page the front page links to. */
function followFirstLink(frontPage: string): Deferred<string> {
  const link = /href="([^"]+)"/.exec(frontPage)?.[1];
  if (link === undefined) throw new Error("The front page has no links");
  console.log(`The front page links to ${link}: fetching it.`);
  const inner = getPage(new URL(link, site).href);
  console.log("The outer chain now waits for the inner Deferred.");
  return inner;
}

function printAnswer(page: string): void {
  console.log(`The next callback got the linked page: ${page.trim()}`);
}

function errorHandler(error: Failure): void {
  console.log(`An error has occurred: <${error}>`);
}

console.log("Fetching the front page.");
const deferred = getPage(site);
deferred.addCallback(followFirstLink);
deferred.addCallback(printAnswer);
deferred.addErrback(errorHandler);
deferred.addBoth(() => reactor.stop());

reactor.run();
