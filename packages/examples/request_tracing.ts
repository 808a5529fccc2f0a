/**
 * A tiny request-tracing logger: each simulated request keeps its id in an
 * `AsyncLocalStorage`, and `log` prints it from wherever the request's work
 * runs: a coroutine (`inlineCallbacks`) woken by getPage's Deferred, a
 * `reactor.callLater`, a `deferLater`. The two requests run at the same
 * time and their delayed calls share the reactor's one timer, yet each
 * line shows the id of the request it belongs to, as `setTimeout` and
 * `await` would keep it.
 *
 * Usage: `deno run -A packages/examples/request_tracing.ts [site-url]`;
 * with no URL, it serves the tutorial's small site itself.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import process from "node:process";
import { gatherResults, inlineCallbacks } from "@twixt/defer";
import type { IReactor } from "@twixt/reactor";
import { deferLater, react } from "@twixt/reactor/task";
import { getPage } from "@twixt/web-client";
import { localSite } from "./site.ts";

const requestId = new AsyncLocalStorage<string>();

/** Prints `message` tagged with the id of the request it runs for. */
function log(message: string): void {
  console.log(`[${requestId.getStore() ?? "no request"}] ${message}`);
}

/** One request: fetch a page, then do some work later, logging each step. */
const handle = inlineCallbacks(
  function* (reactor: IReactor, site: string, path: string, wait: number) {
    log(`${path}: fetching`);
    const page: string = yield getPage(new URL(path, site).href);
    log(`${path}: got ${page.length} characters`);
    // The later request's delayed call arms the reactor's shared timer.
    reactor.callLater(wait, () => log(`${path}: in a delayed call`));
    yield deferLater(reactor, wait * 2, () => log(`${path}: in deferLater`));
    log(`${path}: done`);
  },
);

function main(reactor: IReactor, url?: string): Promise<unknown> {
  return (async () => {
    const site = url ?? await localSite(reactor);
    const requests = [
      requestId.run("request 1", () => handle(reactor, site, "/recipes", 0.03)),
      requestId.run("request 2", () => handle(reactor, site, "/guests", 0.01)),
    ];
    log("both requests started");
    return await gatherResults(requests);
  })();
}

react(main, [process.argv[2]]);
