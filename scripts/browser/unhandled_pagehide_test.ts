/// <reference lib="dom" />
/**
 * The exit-time report of @twixt/defer in a browser (packages/defer/
 * unhandled.ts): a failure still unhandled when the page goes away is
 * reported through the failure logger (console.error by default), and a
 * handled one is not. Each test opens scripts/browser/unhandled_page.ts in
 * a frame or a window of its own, waits until it has failed its Deferreds,
 * makes it go away (navigated, removed, closed), and reads what it posted
 * up to its last pagehide listener. Run by the browser leg of `npm test`
 * with the defer package (scripts/test_browser.ts).
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";

interface PageMessage {
  page: string;
  kind: "ready" | "report" | "console.error" | "gone";
  message?: string;
  text?: string;
}

const PAGE = "/pages/unhandled_page";

// Each page opened gets a name of its own, which its messages carry (their
// `source` cannot tell: a removed or closed page's window is gone by then).
let opened = 0;
const pageName = (): string => `unhandled_page ${++opened}`;

// Collects the messages of the page `name` until `until` is seen, bounded in
// time so that a page that never answers fails the test instead of hanging.
function messages(
  name: string,
  until: PageMessage["kind"],
  seconds = 10,
): Promise<PageMessage[]> {
  return new Promise((resolve, reject) => {
    const seen: PageMessage[] = [];
    const done = (error?: Error): void => {
      clearTimeout(timer);
      removeEventListener("message", heard);
      if (error) reject(error);
      else resolve(seen);
    };
    const heard = (e: MessageEvent): void => {
      const m = e.data as PageMessage | undefined;
      if (m?.page !== name) return;
      seen.push(m);
      if (m.kind === until) done();
    };
    const timer = setTimeout(
      () =>
        done(
          new Error(
            `No "${until}" message from the page within ${seconds} s; it sent ${
              JSON.stringify(seen)
            }`,
          ),
        ),
      seconds * 1000,
    );
    addEventListener("message", heard);
  });
}

// What the page reported between "ready" and "gone", as "kind: text".
function reports(seen: PageMessage[]): string[] {
  assert.equal(seen.at(-1)?.kind, "gone", "the page's pagehide ran");
  return seen.slice(0, -1).map((m) =>
    m.kind === "report" ? `${m.message} ${m.text}` : `${m.kind}: ${m.text}`
  );
}

// The page's URL, with its name and any other `params`.
const pageUrl = (name: string, params: Record<string, string> = {}): string =>
  `${PAGE}?${new URLSearchParams({ name, ...params })}`;

// Waits for the page's "ready", checking that nothing was reported before.
async function ready(name: string): Promise<void> {
  const seen = await messages(name, "ready");
  assert.deepEqual(
    seen.map((m) => m.kind),
    ["ready"],
    "nothing reported early",
  );
}

// Opens the page in a frame, waits until it is ready, and returns the frame
// and the page's name.
async function openFrame(
  params: Record<string, string> = {},
): Promise<[HTMLIFrameElement, string]> {
  const name = pageName();
  const frame = document.createElement("iframe");
  const isReady = ready(name);
  frame.src = pageUrl(name, params);
  document.body.append(frame);
  await isReady;
  return [frame, name];
}

// Opens the page in a frame, navigates the frame away, and returns what
// the page reported.
async function navigatedAway(
  params: Record<string, string> = {},
): Promise<string[]> {
  const [frame, name] = await openFrame(params);
  const gone = messages(name, "gone");
  frame.src = "about:blank";
  const seen = reports(await gone);
  frame.remove();
  return seen;
}

describe("a failure still unhandled when the page goes away", () => {
  it("is reported through the failure logger when a frame navigates away, and a handled one is not", async () => {
    assert.deepEqual(await navigatedAway(), [
      "Unhandled error in Deferred: Lost at pagehide",
    ]);
  });

  it("is reported when its frame is removed from the page", async () => {
    const [frame, name] = await openFrame();
    const gone = messages(name, "gone");
    frame.remove();
    assert.deepEqual(reports(await gone), [
      "Unhandled error in Deferred: Lost at pagehide",
    ]);
  });

  it("is reported in a page that defines a global process, as bundlers do", async () => {
    assert.deepEqual(await navigatedAway({ process: "shim" }), [
      "Unhandled error in Deferred: Lost at pagehide",
    ]);
  });

  it("is printed with console.error by the default logger", async () => {
    const seen = await navigatedAway({ logger: "console" });
    assert.equal(seen.length, 1, JSON.stringify(seen));
    assert.match(
      seen[0]!,
      /^console\.error: Unhandled error in Deferred:\n[\s\S]*Lost at pagehide/,
    );
    assert.doesNotMatch(seen[0]!, /Handled before pagehide/);
  });

  it("is reported when a window opened on the page is closed", async () => {
    const name = pageName();
    const isReady = ready(name);
    const popup = open(pageUrl(name), "_blank", "popup");
    assert.ok(popup, "the window opened (the runner allows pop-ups)");
    await isReady;
    const gone = messages(name, "gone");
    popup.close();
    assert.deepEqual(reports(await gone), [
      "Unhandled error in Deferred: Lost at pagehide",
    ]);
  });
});
