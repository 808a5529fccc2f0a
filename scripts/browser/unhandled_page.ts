/// <reference lib="dom" />
/**
 * The page scripts/browser/unhandled_pagehide_test.ts opens and then makes
 * go away (served by scripts/test_browser.ts at `/pages/unhandled_page`):
 * it loads @twixt/defer in a realm of its own, leaves one Deferred failed
 * and unhandled and one failed and handled, both held so that no garbage
 * collection reports them first, and tells the window that opened it
 * (`opener`, or `parent` in a frame) what the failure logger reports.
 * Its messages carry its `?name=`. `?logger=console` keeps the default logger (console.error) and forwards
 * what it prints instead; `?process=shim` defines a global `process` first,
 * as bundlers do. A "gone" message, from a pagehide listener added
 * after the library's, closes the page's messages.
 *
 * @module
 */
import { Deferred, setFailureLogger } from "@twixt/defer";

const params = new URLSearchParams(location.search);
const target = (opener ?? parent) as Window;
const post = (msg: Record<string, unknown>): void =>
  target.postMessage({ page: params.get("name"), ...msg }, "*");

// `?process=shim`: a global `process` as bundlers and polyfills define
// one in pages (`process.env`, a no-op `on`).
if (params.get("process") === "shim") {
  (globalThis as { process?: unknown }).process = {
    env: { NODE_ENV: "production" },
    on(): void {},
  };
}

if (params.get("logger") === "console") {
  console.error = (...args: unknown[]): void => {
    post({ kind: "console.error", text: args.map(String).join(" ") });
  };
} else {
  setFailureLogger((message, failure) =>
    post({ kind: "report", message, text: failure.getErrorMessage() })
  );
}

const lost = new Deferred<void>();
lost.errback(new Error("Lost at pagehide"));
const handled = new Deferred<void>();
handled.errback(new Error("Handled before pagehide"));
handled.addErrback(() => {});
(globalThis as { held?: unknown }).held = [lost, handled];

addEventListener("pagehide", () => post({ kind: "gone" }));
post({ kind: "ready" });
