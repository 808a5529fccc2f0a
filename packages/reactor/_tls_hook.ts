/**
 * Where the core reaches TLS without importing it: `reactor.listenSSL`,
 * `reactor.connectSSL` and `transport.startTLS` call what tls.ts registers
 * here when it loads (every import of `@twixt/reactor` loads it; the
 * package lists it in `sideEffects`, so bundlers keep it). The time and
 * task tools, which import the reactor but not tls.ts, so do not carry the
 * TLS code into a browser bundle.
 *
 * @module
 */

import { Deferred } from "@twixt/defer";
import type { connectSSL, listenSSL } from "./tls.ts";
import type { _startTLS, _tlsSetup } from "./_tls_socket.ts";

/** @internal What tls.ts registers. */
export interface _TLSImpl {
  listenSSL: typeof listenSSL;
  connectSSL: typeof connectSSL;
  setup: typeof _tlsSetup;
  start: typeof _startTLS;
}

let registered: _TLSImpl | undefined;

/** @internal Called by tls.ts as it loads. */
export function _registerTLS(impl: _TLSImpl): void {
  registered = impl;
}

/**
 * @internal The TLS layer; throws where it was never loaded (code that
 * imported only `@twixt/reactor/task` and made its own context factory).
 */
export function _tls(): _TLSImpl {
  if (registered === undefined) {
    throw new Error(
      "Cannot use TLS: its module is not loaded (import the TLS names of the package's main entry)",
    );
  }
  return registered;
}

/** @internal `fn` with the TLS layer, or a Deferred failed with why not. */
export function _withTLS<T>(fn: (tls: _TLSImpl) => Deferred<T>): Deferred<T> {
  let tls: _TLSImpl;
  try {
    tls = _tls();
  } catch (e) {
    const d = new Deferred<T>();
    d.errback(e);
    return d;
  }
  return fn(tls);
}
