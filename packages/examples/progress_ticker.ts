/**
 * A progress ticker: a LoopingCall prints a line every tenth of a second
 * while a slow page downloads, and the page's callback stops it. The
 * Deferred that `start()` returned fires when the loop stops.
 *
 * Usage: `deno run -A packages/examples/progress_ticker.ts [site-url]`; with
 * no URL, it serves the tutorial's small site itself. The site must have a
 * page `slow?seconds=N` that takes N seconds to answer.
 *
 * @module
 */
import process from "node:process";
import type { Failure } from "@twixt/defer";
import { reactor } from "@twixt/reactor";
import { LoopingCall } from "@twixt/reactor/task";
import { getPage } from "@twixt/web-client";
import { localSite } from "./site.ts";

const site = process.argv[2] ?? await localSite(reactor);

let ticks = 0;
function tick(): void {
  ticks++;
  console.log(`Still waiting for the page... (tick ${ticks})`);
}

const ticker = new LoopingCall(tick);
// The first tick runs at once, then one every 0.1 seconds.
const tickerDone = ticker.start(0.1);
tickerDone.addCallback(() => console.log("The ticker has stopped."));

function printContents(contents: string): void {
  console.log(`The page arrived after ${ticks} ticks: ${contents.trim()}`);
}

function errorHandler(error: Failure): void {
  console.log(`An error has occurred: <${error}>`);
}

const deferred = getPage(new URL("slow?seconds=1", site).href);
deferred.addCallbacks(printContents, errorHandler);
deferred.addBoth(() => ticker.stop());
deferred.addBoth(() => reactor.stop());

reactor.run();
