/**
 * `getPage` and `getPageBytes`: Twisted's one-call page fetch.
 *
 * @module
 */

import type { Deferred } from "@twixt/defer";
import { makeSpec, request, type Spec } from "./_request.ts";
import type { PageOptions } from "./options.ts";

/** Checks a page request's arguments (throws on bad input). */
export function pageSpec(url: string, opts: PageOptions): Spec {
  return makeSpec(url, opts.method, opts.headers, opts.body, opts, true);
}

/**
 * Fetches `url` and fires with its body as text, decoded with the charset
 * of its `Content-Type` (UTF-8 when it names none, or one this runtime
 * cannot decode). As Twisted's `getPage`, it never throws: every problem
 * arrives through the errback.
 *
 * @param url An `http:` or `https:` URL.
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
  return request(() => pageSpec(url, opts), opts.reactor, async (ex) => {
    const res = await ex.page();
    return decodeText(await ex.bytes(res), res.headers.get("content-type"));
  });
}

/**
 * Fetches `url` and fires with its body as bytes: {@linkcode getPage}
 * without the decoding, for binary pages.
 *
 * @param url An `http:` or `https:` URL.
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
  return request(() => pageSpec(url, opts), opts.reactor, async (ex) => {
    return await ex.bytes(await ex.page());
  });
}

/**
 * Decodes a body with the charset its `Content-Type` names; UTF-8 when it
 * names none or one this runtime's TextDecoder does not know (as fetch's
 * `text()` always does).
 */
export function decodeText(
  bytes: Uint8Array,
  contentType: string | null,
): string {
  const m = contentType === null
    ? null
    : /;\s*charset\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(contentType);
  const decoder = decoderFor((m?.[1] ?? m?.[2] ?? "utf-8").toLowerCase());
  const text = decoder.decode(bytes);
  if (decoder.encoding === "windows-1252" && latin1Decoder()) {
    return text.replace(
      /[\x80-\x9f]/g,
      (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!,
    );
  }
  return text;
}

// Decoders are stateless when not streaming, so one per label serves all.
const decoders = new Map<string, TextDecoder>();

function decoderFor(label: string): TextDecoder {
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label);
    } catch {
      decoder = decoderFor("utf-8");
    }
    if (decoders.size < 64) decoders.set(label, decoder);
  }
  return decoder;
}

// windows-1252 (which "iso-8859-1" and "latin1" also name, by the Encoding
// standard) differs from ISO-8859-1 in bytes 0x80-0x9F. Node 20's decoder
// treats it as ISO-8859-1; these are the characters it should give.
const CP1252_HIGH = "€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ";
let brokenCp1252: boolean | undefined;

function latin1Decoder(): boolean {
  return brokenCp1252 ??=
    new TextDecoder("windows-1252").decode(Uint8Array.of(0x80)) !== "€";
}
