/**
 * Cancellation: cancel() stops the work behind a Deferred and fails it with
 * CancelledError. Three cases: cancelling a getPage (its request is
 * aborted), cancelling a chain that waits on an inner Deferred (the inner
 * one is cancelled), and an AbortSignal, the web's way to cancel, doing it
 * through cancelOnAbort.
 *
 * Usage: `deno run -A packages/examples/cancellation.ts [site-url]`; with
 * no URL, it serves the tutorial's small site itself. The site must have a
 * page `slow?seconds=N` that takes N seconds to answer.
 *
 * @module
 */
import process from "node:process";
import { CancelledError, cancelOnAbort, type Failure } from "@twixt/defer";
import { reactor } from "@twixt/reactor";
import { getPage } from "@twixt/web-client";
import { localSite } from "./site.ts";

const site = process.argv[2] ?? await localSite(reactor);
const slowPage = new URL("slow?seconds=30", site).href;

function printContents(contents: string): void {
  console.log(`  The page arrived after all: ${contents.trim()}`);
}

function cancelled(failure: Failure): void {
  failure.trap(CancelledError);
  console.log(`  The errback got ${failure}`);
}

/** Case 1: a getPage cancelled before the page arrives. */
function cancelAGetPage() {
  console.log(
    "1. getPage of a page that takes 30 seconds, cancelled after 0.2",
  );
  const deferred = getPage(slowPage);
  reactor.callLater(0.2, () => deferred.cancel());
  return deferred.addCallbacks(printContents, cancelled);
}

/** Case 2: cancelling the outer Deferred cancels the one it waits on. */
function cancelAChain() {
  console.log("2. A chain waiting on an inner getPage, cancelled after 0.2");
  const outer = getPage(site);
  outer.addCallback(() => {
    const inner = getPage(slowPage);
    inner.addErrback((f: Failure) => {
      console.log(`  The inner Deferred was cancelled too: ${f}`);
      return f;
    });
    // Cancel the outer Deferred while its chain waits on the inner one.
    reactor.callLater(0.2, () => outer.cancel());
    return inner;
  });
  return outer.addCallbacks(printContents, cancelled);
}

/** Case 3: an AbortController aborting a getPage. */
function abortWithASignal() {
  console.log("3. An AbortController aborts a getPage after 0.2");
  const controller = new AbortController();
  const deferred = cancelOnAbort(getPage(slowPage), controller.signal);
  reactor.callLater(0.2, () => controller.abort());
  return deferred.addCallbacks(printContents, cancelled);
}

const deferred = cancelAGetPage();
deferred.addCallback(cancelAChain);
deferred.addCallback(abortWithASignal);
deferred.addErrback((f: Failure) => console.log(`Unexpected: ${f}`));
deferred.addBoth(() => reactor.stop());

reactor.run();
