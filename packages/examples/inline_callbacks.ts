/**
 * The same task written twice, side by side: with inlineCallbacks (Twisted's
 * generator style) and with an async function and await. Each fetches the
 * front page, asks for a page that does not exist and catches the failure
 * with try/catch, then follows the front page's first link.
 *
 * `react` runs `main` and stops the reactor when what `main` returns
 * settles, exiting 0 on success and 1 on failure: the "higher level way" to
 * stop that the tutorial's first program mentions.
 *
 * Usage: `deno run -A packages/examples/inline_callbacks.ts [site-url]`;
 * with no URL, it serves the tutorial's small site itself.
 *
 * @module
 */
import process from "node:process";
import { inlineCallbacks } from "@twixt/defer";
import type { IReactor } from "@twixt/reactor";
import { react } from "@twixt/reactor/task";
import { getPage, HTTPError } from "@twixt/web-client";
import { localSite } from "./site.ts";

function firstLink(page: string, site: string): string {
  const link = /href="([^"]+)"/.exec(page)?.[1];
  if (link === undefined) throw new Error("The front page has no links");
  return new URL(link, site).href;
}

function describe(e: unknown): string {
  return e instanceof HTTPError ? `HTTPError ${e.status}` : String(e);
}

/** With inlineCallbacks: `yield` a Deferred to wait for its result. */
const withInlineCallbacks = inlineCallbacks(function* (site: string) {
  const front: string = yield getPage(site);
  try {
    yield getPage(new URL("does-not-exist", site).href);
  } catch (e) {
    console.log(`  caught ${describe(e)} at the yield`);
  }
  const answer: string = yield getPage(firstLink(front, site));
  return answer.trim();
});

/** With async and await: `await` a Deferred to wait for its result. */
async function withAwait(site: string): Promise<string> {
  const front = await getPage(site);
  try {
    await getPage(new URL("does-not-exist", site).href);
  } catch (e) {
    console.log(`  caught ${describe(e)} at the await`);
  }
  const answer = await getPage(firstLink(front, site));
  return answer.trim();
}

async function main(reactor: IReactor, url?: string): Promise<void> {
  const site = url ?? await localSite(reactor);
  console.log("With inlineCallbacks:");
  const first = withInlineCallbacks(site); // a Deferred
  console.log(`  the answer: ${await first}`);
  console.log("With async/await:");
  const second = withAwait(site); // a Promise
  console.log(`  the answer: ${await second}`);
}

react(main, [process.argv[2]]);
