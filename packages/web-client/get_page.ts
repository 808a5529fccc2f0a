/**
 * `getPage` and `getPageBytes`: Twisted's one-call page fetch.
 *
 * @module
 */

import type { Deferred } from "@twixt/defer";
import { charsetDecoder } from "./_charset.ts";
import { makeSpec, request, type Spec } from "./_request.ts";
import { optionsBag } from "./_options.ts";
import type { PageOptions } from "./options.ts";

/** Checks a page request's arguments (throws on bad input). */
export function pageSpec(
  url: string,
  opts: PageOptions | null | undefined,
  what = "getPage",
): Spec {
  // null from JavaScript callers means no options too.
  const o = optionsBag<PageOptions>(opts, what);
  return makeSpec(url, o.method, o.headers, o.body, o, true);
}

/**
 * Fetches `url` and fires with its body as text, decoded with the charset
 * of its `Content-Type` (UTF-8 when it names none, or one this runtime
 * cannot decode). As Twisted's `getPage`, it never throws: every problem
 * arrives through the errback.
 *
 * @param url An `http:` or `https:` URL; a relative one is resolved
 * against the page's address where the runtime has one (a browser, or Deno
 * with `--location`), as `fetch` does, and refused elsewhere.
 * @param opts Method, headers, body, timeout, redirects, user agent, size limit.
 * @returns A Deferred of the page's text. Cancelling it aborts the request.
 * @throws Never; the Deferred fails with `HTTPError` (status 400 and above),
 * `PageRedirect` (a 3xx not followed), `InfiniteRedirection` (more than
 * `redirectLimit` redirects), `TimeoutError`, `CancelledError`,
 * `BodyTooLarge`, `ConnectionRefusedError`, `ResponseNeverReceived`,
 * `ResponseFailed` (body cut off), `SchemeNotSupported`, or `TypeError` /
 * `RangeError` for a malformed URL or option.
 *
 * @example Usage
 * ```ts
 * import { getPage } from "@twixt/web-client";
 * import { createServer } from "node:http";
 * import assert from "node:assert/strict";
 *
 * const server = createServer((_req, res) => res.end("Hello, Twisted"));
 * await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
 * const { port } = server.address() as { port: number };
 *
 * const page = await getPage(`http://127.0.0.1:${port}/`)
 *   .addCallback((text) => text.toUpperCase());
 * assert.equal(page, "HELLO, TWISTED");
 * server.close();
 * ```
 */
export function getPage(url: string, opts: PageOptions = {}): Deferred<string> {
  return request(
    () => pageSpec(url, opts),
    (ex) =>
      ex.page().then((res) =>
        ex.text(res, charsetDecoder(res.headers.get("content-type")))
      ),
  );
}

/**
 * Fetches `url` and fires with its body as bytes: {@linkcode getPage}
 * without the decoding, for binary pages.
 *
 * @param url As for {@linkcode getPage}: `http:` or `https:`, or relative to the page.
 * @param opts As for {@linkcode getPage}.
 * @returns A Deferred of the body. Cancelling it aborts the request.
 * @throws Never; the Deferred fails as {@linkcode getPage}'s does.
 *
 * @example Usage
 * ```ts
 * import { getPageBytes } from "@twixt/web-client";
 * import { createServer } from "node:http";
 * import assert from "node:assert/strict";
 *
 * const server = createServer((_req, res) => res.end(new Uint8Array([0, 255, 7])));
 * await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
 * const { port } = server.address() as { port: number };
 *
 * const bytes = await getPageBytes(`http://127.0.0.1:${port}/`);
 * assert.deepEqual([...bytes], [0, 255, 7]);
 * server.close();
 * ```
 */
export function getPageBytes(
  url: string,
  opts: PageOptions = {},
): Deferred<Uint8Array> {
  return request(
    () => pageSpec(url, opts, "getPageBytes"),
    (ex) => ex.page().then((res) => ex.bytes(res)),
  );
}
