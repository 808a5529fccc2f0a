/**
 * Twisted's HTTP client for TypeScript, on the platform's `fetch`: one
 * source for Deno, Bun and Node.
 *
 * {@linkcode getPage} fetches a page and returns a `Deferred` of its text
 * (decoded with the response's charset); {@linkcode getPageBytes} gives the
 * bytes, {@linkcode downloadPage} streams the body into a file. Failures
 * arrive through the errback, never as a synchronous throw:
 * {@linkcode HTTPError} for a status of 400 and above (its message reads
 * "404 Not Found"), {@linkcode PageRedirect} for a redirect not followed,
 * {@linkcode InfiniteRedirection}, `TimeoutError` and `CancelledError` from
 * `@twixt/defer`, {@linkcode BodyTooLarge}, `ConnectionRefusedError` from
 * `@twixt/reactor` (re-exported here), {@linkcode ResponseNeverReceived},
 * {@linkcode ResponseFailed}, and {@linkcode SchemeNotSupported} for
 * anything but `http:` and `https:`. Cancelling the Deferred aborts the
 * request; `timeout` covers the whole request, to the last byte.
 *
 * {@linkcode Agent} and {@linkcode readBody} are the two-step client of
 * Twisted's `twisted.web.client`: the response head first, then the body.
 *
 * @example Usage
 * ```ts
 * import { getPage, HTTPError } from "@twixt/web-client";
 * import { createServer } from "node:http";
 * import assert from "node:assert/strict";
 *
 * const server = createServer((req, res) => {
 *   if (req.url === "/poem") res.end("Half a league, half a league");
 *   else res.writeHead(404).end("no such poem");
 * });
 * await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
 * const { port } = server.address() as { port: number };
 *
 * const poem = await getPage(`http://127.0.0.1:${port}/poem`, { timeout: 10 });
 * assert.equal(poem, "Half a league, half a league");
 *
 * const missing = await getPage(`http://127.0.0.1:${port}/ode`)
 *   .addErrback((failure) => {
 *     failure.trap(HTTPError);
 *     return `failed: ${failure.getErrorMessage()}`;
 *   });
 * assert.equal(missing, "failed: 404 Not Found");
 * server.close();
 * ```
 *
 * @module
 */

export { Agent, type IBodyProtocol, readBody, Response } from "./agent.ts";
export { downloadPage } from "./download_page.ts";
export {
  BodyTooLarge,
  FileSystemNotAvailable,
  HTTPError,
  InfiniteRedirection,
  PageRedirect,
  ResponseDone,
  ResponseFailed,
  ResponseNeverReceived,
  SchemeNotSupported,
} from "./errors.ts";
export { getPage, getPageBytes } from "./get_page.ts";
export { HTTPConnectionPool } from "./pool.ts";
export type {
  AgentOptions,
  Body,
  ClientOptions,
  PageOptions,
} from "./options.ts";
export { ConnectionRefusedError } from "@twixt/reactor";

// Types this entry's API uses, exported here too so that the entry
// documents (and JSR scores it) on its own.
export type {
  AddCallbacksOptions,
  Deferred,
  ErrorClass,
  ErrorType,
  Failure,
  IDelayedCall,
  IReactorTime,
} from "@twixt/defer";
export type { ConnectError, IPushProducer } from "@twixt/reactor";
