/**
 * The errors of `@twixt/web-client`, as in `twisted.web.error` and
 * `twisted.web.client`.
 *
 * {@linkcode HTTPError} is Twisted's `twisted.web.error.Error`: a response
 * with a status the caller did not want. {@linkcode PageRedirect} and
 * {@linkcode InfiniteRedirection} are kinds of it, as in Twisted, so
 * trapping `HTTPError` catches every unwanted status. Failures below HTTP
 * are {@linkcode ResponseNeverReceived} (no response at all) and
 * {@linkcode ResponseFailed} (the body was cut off); a refused connection is
 * `ConnectionRefusedError` from `@twixt/reactor`, the same class its TCP
 * layer uses. {@linkcode FileSystemNotAvailable} is `downloadPage`'s where
 * there are no files to write (a browser).
 *
 * @module
 */

import { statusPhrase } from "./_status.ts";

const EMPTY = new Uint8Array(0);

/**
 * The reason `getPage` and friends fail on a response with a status of 400
 * or above (Twisted's `twisted.web.error.Error`). Its message reads like
 * Twisted's: the status and the reason phrase, `"404 Not Found"`.
 *
 * @example Usage
 * ```ts
 * import { HTTPError } from "@twixt/web-client";
 * import assert from "node:assert/strict";
 *
 * const e = new HTTPError(404, "Not Found", new TextEncoder().encode("no"), "http://example.com/x");
 * assert.equal(e.message, "404 Not Found");
 * assert.equal(e.status, 404);
 * assert.equal(new TextDecoder().decode(e.body), "no");
 * ```
 */
export class HTTPError extends Error {
  /** The response's status code. */
  readonly status: number;
  /** The response's reason phrase (the standard one if the server sent none). */
  readonly statusText: string;
  /** The response's body, as far as it was read (up to `maxBytes`). */
  readonly body: Uint8Array;
  /** The URL that answered with this status (after any redirects). */
  readonly url: string;

  /**
   * Creates the error.
   *
   * @param status The status code.
   * @param statusText The reason phrase; empty means the standard one.
   * @param body The response body.
   * @param url The URL that answered.
   * @param options The standard error options (`cause`).
   */
  constructor(
    status: number,
    statusText = "",
    body: Uint8Array = EMPTY,
    url = "",
    options?: ErrorOptions,
  ) {
    const text = statusText || statusPhrase(status);
    super(text ? `${status} ${text}` : String(status), options);
    this.name = "HTTPError";
    this.status = status;
    this.statusText = text;
    this.body = body;
    this.url = url;
  }
}

/**
 * The reason `getPage` and friends fail on a 3xx response they did not
 * follow: `followRedirect` was false, or the status is not one that
 * redirects (300, 304), or the response named no `Location`. Its message
 * reads like Twisted's, `"302 Found to http://example.com/b"`.
 *
 * @example Usage
 * ```ts
 * import { HTTPError, PageRedirect } from "@twixt/web-client";
 * import assert from "node:assert/strict";
 *
 * const e = new PageRedirect(302, "http://example.com/b", "Found");
 * assert.equal(e.message, "302 Found to http://example.com/b");
 * assert.equal(e.location, "http://example.com/b");
 * assert.ok(e instanceof HTTPError);
 * ```
 */
export class PageRedirect extends HTTPError {
  /** Where the response pointed, resolved against the request URL; "" if it named no place. */
  readonly location: string;

  /**
   * Creates the error.
   *
   * @param status The 3xx status code.
   * @param location The absolute redirect target, or "".
   * @param statusText The reason phrase; empty means the standard one.
   * @param body The response body.
   * @param url The URL that answered.
   */
  constructor(
    status: number,
    location: string,
    statusText = "",
    body: Uint8Array = EMPTY,
    url = "",
  ) {
    super(status, statusText, body, url);
    this.name = "PageRedirect";
    this.location = location;
    if (location) this.message += ` to ${location}`;
  }
}

/**
 * The reason a request fails when the server redirects more than
 * `redirectLimit` times in a row (Twisted's default limit, 20). The status,
 * body and `location` are those of the redirect that was not followed.
 *
 * @example Usage
 * ```ts
 * import { InfiniteRedirection } from "@twixt/web-client";
 * import assert from "node:assert/strict";
 *
 * const e = new InfiniteRedirection(302, "http://example.com/loop", 20, "Found");
 * assert.equal(
 *   e.message,
 *   "Cannot follow more than 20 redirects: 302 Found to http://example.com/loop",
 * );
 * ```
 */
export class InfiniteRedirection extends HTTPError {
  /** The target of the redirect that was not followed. */
  readonly location: string;
  /** How many redirects were allowed. */
  readonly redirectLimit: number;

  /**
   * Creates the error.
   *
   * @param status The status of the redirect not followed.
   * @param location Its absolute target.
   * @param redirectLimit How many redirects were allowed.
   * @param statusText The reason phrase; empty means the standard one.
   * @param body The redirect's body.
   * @param url The URL that answered with the redirect.
   */
  constructor(
    status: number,
    location: string,
    redirectLimit: number,
    statusText = "",
    body: Uint8Array = EMPTY,
    url = "",
  ) {
    super(status, statusText, body, url);
    this.name = "InfiniteRedirection";
    this.location = location;
    this.redirectLimit = redirectLimit;
    this.message = `Cannot follow more than ${redirectLimit} redirects: ` +
      `${this.message} to ${location}`;
  }
}

/**
 * The reason a request fails when its URL, or a redirect's target, has a
 * scheme other than `http:` and `https:` (`file:`, `data:`, `ftp:`,
 * `javascript:` ...): an HTTP client must never read local files or run
 * anything because a server said so. As in `twisted.web.error`, a URL with
 * no scheme at all (a relative one, where there is no page location to
 * resolve it against) is refused with it too, its `scheme` `""`.
 *
 * @example Usage
 * ```ts
 * import { SchemeNotSupported } from "@twixt/web-client";
 * import assert from "node:assert/strict";
 *
 * const e = new SchemeNotSupported("file:///etc/passwd");
 * assert.equal(e.scheme, "file:");
 * assert.equal(
 *   e.message,
 *   'Cannot request file:///etc/passwd: scheme "file:" is not supported, only http: and https:',
 * );
 * ```
 */
export class SchemeNotSupported extends Error {
  /** The URL refused. */
  readonly url: string;
  /** Its scheme, with the colon, e.g. `"file:"`. */
  readonly scheme: string;

  /**
   * Creates the error.
   *
   * @param url The URL refused.
   * @param action What was refused, for the message ("request", "follow a redirect to").
   */
  constructor(url: string, action = "request") {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0].toLowerCase() ?? "";
    super(
      scheme === ""
        ? `Cannot ${action} ${url}: it has no scheme (a relative URL, and no page location to resolve it against), only http: and https: URLs are supported`
        : `Cannot ${action} ${url}: scheme "${scheme}" is not supported, only http: and https:`,
    );
    this.name = "SchemeNotSupported";
    this.url = url;
    this.scheme = scheme;
  }
}

/**
 * The reason a request fails when the whole response could not be received:
 * the connection was reset or closed before the last byte of the body (for
 * instance fewer bytes than its `Content-Length` said). The runtime's own
 * error is the `cause`. As in `twisted.web.client`.
 *
 * @example Usage
 * ```ts
 * import { ResponseFailed } from "@twixt/web-client";
 * import assert from "node:assert/strict";
 *
 * const e = new ResponseFailed("http://example.com/", new Error("connection reset"));
 * assert.equal(
 *   e.message,
 *   "Cannot read the whole response from http://example.com/: connection reset",
 * );
 * ```
 */
export class ResponseFailed extends Error {
  /** The URL whose response failed. */
  readonly url: string;

  /**
   * Creates the error.
   *
   * @param url The URL whose response failed.
   * @param cause The runtime's error.
   * @param action What could not be done, for the message.
   */
  constructor(
    url: string,
    cause: unknown,
    action = "read the whole response",
  ) {
    super(`Cannot ${action} from ${url}: ${describe(cause)}`, { cause });
    this.name = "ResponseFailed";
    this.url = url;
  }
}

/**
 * The kind of {@linkcode ResponseFailed} where no response arrived at all:
 * the host could not be reached or resolved, or the connection closed before
 * the status line. (A refused connection is `ConnectionRefusedError`.)
 *
 * @example Usage
 * ```ts
 * import { ResponseFailed, ResponseNeverReceived } from "@twixt/web-client";
 * import assert from "node:assert/strict";
 *
 * const e = new ResponseNeverReceived("http://example.com/", new Error("socket hang up"));
 * assert.equal(e.message, "Cannot get a response from http://example.com/: socket hang up");
 * assert.ok(e instanceof ResponseFailed);
 * ```
 */
export class ResponseNeverReceived extends ResponseFailed {
  /**
   * Creates the error.
   *
   * @param url The URL requested.
   * @param cause The runtime's error.
   */
  constructor(url: string, cause: unknown) {
    super(url, cause, "get a response");
    this.name = "ResponseNeverReceived";
  }
}

/**
 * The reason a request fails when the body is longer than the `maxBytes`
 * option allows. Reading stops (and the connection is closed) as soon as the
 * limit is passed, or before reading at all when `Content-Length` says so.
 *
 * @example Usage
 * ```ts
 * import { BodyTooLarge } from "@twixt/web-client";
 * import assert from "node:assert/strict";
 *
 * const e = new BodyTooLarge("http://example.com/big", 1024);
 * assert.equal(e.maxBytes, 1024);
 * assert.equal(
 *   e.message,
 *   "Cannot read more than 1024 bytes (maxBytes) of the body of http://example.com/big",
 * );
 * ```
 */
export class BodyTooLarge extends Error {
  /** The URL whose body was too large. */
  readonly url: string;
  /** The limit that was passed. */
  readonly maxBytes: number;

  /**
   * Creates the error.
   *
   * @param url The URL whose body was too large.
   * @param maxBytes The limit.
   * @param contentLength The length the server announced, if it did.
   */
  constructor(url: string, maxBytes: number, contentLength?: number) {
    super(
      `Cannot read more than ${maxBytes} bytes (maxBytes) of the body of ${url}` +
        (contentLength === undefined
          ? ""
          : `: Content-Length is ${contentLength}`),
    );
    this.name = "BodyTooLarge";
    this.url = url;
    this.maxBytes = maxBytes;
  }
}

/**
 * The reason `downloadPage` fails where the runtime has no file system to
 * write to (a browser, or Node before 20.16, which lacks
 * `process.getBuiltinModule`). It fails the Deferred before any request is
 * made, so nothing is fetched only to be thrown away.
 *
 * @example Usage
 * ```ts
 * import { FileSystemNotAvailable } from "@twixt/web-client";
 * import assert from "node:assert/strict";
 *
 * const e = new FileSystemNotAvailable("page.html");
 * assert.equal(e.file, "page.html");
 * assert.equal(
 *   e.message,
 *   "Cannot download to page.html: files are not available in this runtime",
 * );
 * ```
 */
export class FileSystemNotAvailable extends Error {
  /** The path that was to be written. */
  readonly file: string;

  /**
   * Creates the error.
   *
   * @param file The path that was to be written.
   */
  constructor(file: string) {
    super(
      `Cannot download to ${file}: files are not available in this runtime`,
    );
    this.name = "FileSystemNotAvailable";
    this.file = file;
  }
}

/** A runtime error's message with its cause's, e.g. "terminated: other side closed". */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const inner = e.cause instanceof Error ? e.cause.message : "";
  return inner && !e.message.includes(inner)
    ? `${e.message}: ${inner}`
    : e.message;
}

/**
 * The reason given to a body protocol's `connectionLost` when
 * {@linkcode Response.deliverBody} has delivered the whole body, as
 * Twisted's `ResponseDone`: the clean end, not a failure to handle.
 *
 * @example Usage
 * ```ts
 * import { ResponseDone } from "@twixt/web-client";
 * import assert from "node:assert/strict";
 *
 * const done = new ResponseDone("http://127.0.0.1/");
 * assert.match(done.message, /delivered/);
 * ```
 */
export class ResponseDone extends Error {
  /** The URL whose body was delivered. */
  readonly url: string;

  /** Creates the error for the body of `url`. */
  constructor(url: string) {
    super(`The response body from ${url} was delivered in full`);
    this.name = "ResponseDone";
    this.url = url;
  }
}
