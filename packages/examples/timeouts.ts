/**
 * Timeouts: addTimeout(seconds, reactor) cancels a Deferred that has not
 * fired in time and fails it with TimeoutError; getPage's own `timeout`
 * option does the same for a whole request. A Deferred that fires in time
 * releases its timer, and onTimeoutCancel can turn a timeout into a default
 * result.
 *
 * Usage: `deno run -A packages/examples/timeouts.ts [site-url]`; with no
 * URL, it serves the tutorial's small site itself. The site must have a
 * page `slow?seconds=N` that takes N seconds to answer.
 *
 * @module
 */
import process from "node:process";
import { type Failure, TimeoutError } from "@twixt/defer";
import { reactor } from "@twixt/reactor";
import { getPage } from "@twixt/web-client";
import { localSite } from "./site.ts";

const site = process.argv[2] ?? await localSite(reactor);
const slowPage = new URL("slow?seconds=30", site).href;

function printContents(contents: string): void {
  console.log(`  The page arrived: ${contents.trim()}`);
}

function timedOut(failure: Failure): void {
  failure.trap(TimeoutError);
  console.log(`  The errback got ${failure}`);
}

function withAddTimeout() {
  console.log("1. A 30-second page, with addTimeout(0.5, reactor)");
  return getPage(slowPage).addTimeout(0.5, reactor)
    .addCallbacks(printContents, timedOut);
}

function withTheTimeoutOption() {
  console.log("2. The same page, with getPage's own timeout: 0.5 option");
  return getPage(slowPage, { timeout: 0.5 })
    .addCallbacks(printContents, timedOut);
}

function inTime() {
  console.log("3. A quick page, with addTimeout(5, reactor)");
  return getPage(new URL("mushrooms", site).href).addTimeout(5, reactor)
    .addCallbacks(printContents, timedOut)
    .addCallback(() => {
      console.log(
        `  Timers still pending: ${reactor.getDelayedCalls().length}`,
      );
    });
}

function withADefault() {
  console.log("4. The slow page again, with a default answer on timeout");
  return getPage(slowPage)
    .addTimeout(0.5, reactor, () => "(no answer in time; assume poisonous)")
    .addCallbacks(printContents, timedOut);
}

const deferred = withAddTimeout();
deferred.addCallback(withTheTimeoutOption);
deferred.addCallback(inTime);
deferred.addCallback(withADefault);
deferred.addErrback((f: Failure) => console.log(`Unexpected: ${f}`));
deferred.addBoth(() => reactor.stop());

reactor.run();
