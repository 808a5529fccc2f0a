/**
 * The errors of Twixt's TLS layer: a failed handshake, and the three ways
 * the other side's certificate can fail verification (not trusted,
 * expired, made out to another name).
 *
 * Every one is a `ConnectionLost`: the TCP connection was made and then
 * lost uncleanly, so code that handles `ConnectionLost` handles these too.
 * `connectSSL` and the SSL client endpoint fail their Deferred with them
 * (and call `clientConnectionFailed`), since a TLS connection counts as
 * made only once its handshake is done; after `startTLS`, the protocol's
 * `connectionLost` gets them.
 *
 * @module
 */

import { ConnectionLost } from "./tcp_errors.ts";

/**
 * The base of every TLS failure.
 *
 * @example Usage
 * ```ts
 * import { ConnectionLost, TLSError, VerifyError } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const e = new VerifyError("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain");
 * assert.ok(e instanceof TLSError && e instanceof ConnectionLost);
 * ```
 */
export class TLSError extends ConnectionLost {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TLSError";
  }
}

/**
 * The TLS handshake failed: no protocol version or cipher in common, the
 * other side sent an alert (it did not accept our certificate, or wanted
 * one), it spoke something other than TLS, or it closed the connection
 * before the handshake was done.
 *
 * @example Usage
 * ```ts
 * import { TLSHandshakeError } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const e = new TLSHandshakeError("The connection closed during the TLS handshake");
 * assert.equal(e.name, "TLSHandshakeError");
 * assert.equal(e.code, undefined);
 * ```
 */
export class TLSHandshakeError extends TLSError {
  /** The runtime's error code (`"ERR_SSL_..."`, `"ECONNRESET"`), if any. */
  readonly code: string | undefined;
  /** Creates the error; `code` is the runtime's error code, if any. */
  constructor(message: string, options?: ErrorOptions & { code?: string }) {
    super(message, options);
    this.name = "TLSHandshakeError";
    this.code = options?.code;
  }
}

/**
 * The other side's certificate is not trusted: not signed by a trust root
 * (a self-signed certificate, an unknown authority), or its chain is
 * broken. Its subclasses say more: {@linkcode CertificateExpiredError} and
 * {@linkcode VerificationError}.
 *
 * @example Usage
 * ```ts
 * import { TLSHandshakeError, VerifyError } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const e = new VerifyError("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate");
 * assert.ok(e instanceof TLSHandshakeError);
 * assert.equal(e.message, "Cannot verify the certificate of the other side: self-signed certificate");
 * ```
 */
export class VerifyError extends TLSHandshakeError {
  /** Creates the error from the runtime's verification code and text. */
  constructor(code: string, why: string, options?: ErrorOptions) {
    super(`Cannot verify the certificate of the other side: ${why}`, {
      ...options,
      code,
    });
    this.name = "VerifyError";
  }
}

/**
 * The other side's certificate is outside its validity period (expired,
 * or not valid yet). Its `code` is `"CERT_HAS_EXPIRED"` or
 * `"CERT_NOT_YET_VALID"` on every runtime.
 *
 * @example Usage
 * ```ts
 * import { CertificateExpiredError, VerifyError } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const e = new CertificateExpiredError(new Date("2001-01-01T00:00:00Z"));
 * assert.ok(e instanceof VerifyError);
 * assert.equal(e.code, "CERT_HAS_EXPIRED");
 * ```
 */
export class CertificateExpiredError extends VerifyError {
  /** When the certificate stopped being valid (or starts being valid). */
  readonly date: Date;
  /** Creates the error; `notYetValid` for a certificate valid only later. */
  constructor(date: Date, notYetValid = false, options?: ErrorOptions) {
    super(
      notYetValid ? "CERT_NOT_YET_VALID" : "CERT_HAS_EXPIRED",
      notYetValid
        ? `certificate is not valid until ${date.toISOString()}`
        : `certificate expired at ${date.toISOString()}`,
      options,
    );
    this.name = "CertificateExpiredError";
    this.date = date;
  }
}

/**
 * The other side's certificate is trusted but made out to another name
 * than the one connected to: Twisted's `VerificationError` (from
 * `service_identity`), raised by `optionsForClientTLS`'s hostname check.
 *
 * @example Usage
 * ```ts
 * import { VerificationError } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const e = new VerificationError("example.org", "DNS:localhost");
 * assert.equal(e.hostname, "example.org");
 * assert.equal(e.code, "ERR_TLS_CERT_ALTNAME_INVALID");
 * ```
 */
export class VerificationError extends VerifyError {
  /** The name that was expected. */
  readonly hostname: string;
  /** Creates the error; `names` are the certificate's, as text. */
  constructor(hostname: string, names: string, options?: ErrorOptions) {
    super(
      "ERR_TLS_CERT_ALTNAME_INVALID",
      `it is for ${names || "no name"}, not ${JSON.stringify(hostname)}`,
      options,
    );
    this.name = "VerificationError";
    this.hostname = hostname;
  }
}
