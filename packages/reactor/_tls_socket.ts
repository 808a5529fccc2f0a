/**
 * TLS over a connected `node:net` socket: the one way Twixt sets up TLS,
 * for `listenSSL`, `connectSSL` and `startTLS` alike.
 *
 * The TLS socket runs over a small Duplex fed by hand from the plain
 * socket, rather than over the plain socket itself, so that the switch is
 * exact on every runtime: each byte read after the switch goes to TLS and
 * none before it; each byte written before it is queued on the plain
 * socket ahead of the first TLS record. (Wrapping the plain socket
 * directly takes its handle over, and what it had buffered either way
 * depends on the runtime.)
 *
 * A client checks the server's certificate itself once the handshake is
 * done (chain, validity period, name), so that each failure has the same
 * typed error on Deno, Bun and Node, whose TLS libraries word them
 * differently.
 *
 * @module
 */

import type { Socket } from "node:net";
import type { PeerCertificate, SecureContext, TLSSocket } from "node:tls";
import type { Duplex } from "node:stream";
import { _builtin } from "./_node.ts";
import type { ITLSContextFactory, TLSOptions, TLSSide } from "./ssl.ts";
import {
  CertificateExpiredError,
  TLSHandshakeError,
  VerificationError,
  VerifyError,
} from "./tls_errors.ts";
import { _isIPv6, _show } from "./_tcp_options.ts";

/** @internal Why TLS fails in a runtime without `node:tls`. */
export const _NO_TLS = "TLS is not available in this runtime";

/** @internal A side's options, with the TLS context made from them once. */
export interface _TLSSetup {
  side: TLSSide;
  options: TLSOptions;
  context: SecureContext;
}

/**
 * @internal Checks `factory` and makes the TLS context for `side`. Throws
 * a TypeError naming what is wrong, or an Error where there is no
 * `node:tls`.
 */
export function _tlsSetup(
  action: string,
  factory: unknown,
  side: TLSSide,
): _TLSSetup {
  const f = factory as ITLSContextFactory | null | undefined;
  if (typeof f?.getTLSOptions !== "function") {
    throw new TypeError(
      `Cannot ${action}: the context factory must have getTLSOptions (CertificateOptions, optionsForClientTLS), not ${
        _show(factory)
      }`,
    );
  }
  const tls = _builtin<typeof import("node:tls")>("node:tls");
  if (tls === undefined) throw new Error(_NO_TLS);
  const options = f.getTLSOptions(side);
  if (side === "server" && (options?.key === undefined || !options.cert)) {
    throw new TypeError(
      `Cannot ${action}: a TLS server needs a certificate and its key (CertificateOptions with a certificate)`,
    );
  }
  let context: SecureContext;
  try {
    context = tls.createSecureContext({
      ...(options.key === undefined ? {} : { key: options.key }),
      ...(options.cert === undefined ? {} : { cert: options.cert }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      minVersion: options.minVersion ?? "TLSv1.2",
    });
  } catch (e) {
    throw new TypeError(
      `Cannot ${action}: the TLS key or certificates cannot be used: ${
        e instanceof Error ? e.message : String(e)
      }`,
      { cause: e },
    );
  }
  return { side, options, context };
}

/**
 * @internal Starts TLS over the connected `raw` socket. Returns the TLS
 * socket at once (destroy it to give up); calls `onSecure` once the
 * handshake is done and the other side verified, or `onError` with a
 * {@linkcode TLSHandshakeError} (or a kind of it), once either way. From
 * the call on, `raw` belongs to the TLS socket: remove your own listeners
 * from it first.
 */
export function _startTLS(
  raw: Socket,
  setup: _TLSSetup,
  onSecure: (secured: Socket) => void,
  onError: (error: Error) => void,
): Socket {
  const tls = _builtin<typeof import("node:tls")>("node:tls")!;
  const { side, options, context } = setup;
  // Read now: the plain socket forgets them once closed.
  const addresses = {
    remoteAddress: raw.remoteAddress,
    remotePort: raw.remotePort,
    remoteFamily: raw.remoteFamily,
    localAddress: raw.localAddress,
    localPort: raw.localPort,
  };
  const paused = raw.isPaused();
  const duplex = bridge(raw);
  let socket: TLSSocket;
  if (side === "server") {
    socket = new tls.TLSSocket(duplex, {
      isServer: true,
      secureContext: context,
      requestCert: options.verify,
      rejectUnauthorized: options.verify &&
        options.requireCertificate !== false,
    });
  } else {
    const host = options.hostname;
    socket = tls.connect({
      socket: duplex,
      secureContext: context,
      // Verified below, the same way on every runtime.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ...(host !== undefined && !isIP(host) ? { servername: host } : {}),
    });
  }
  // What a transport reads of a net.Socket, from the plain one.
  for (const [name, value] of Object.entries(addresses)) {
    Object.defineProperty(socket, name, { value, configurable: true });
  }
  socket.setNoDelay = (on?: boolean) => (raw.setNoDelay(on), socket);
  socket.setKeepAlive = (on?: boolean, delay?: number) => (
    raw.setKeepAlive(on, delay), socket
  );
  if (paused) socket.pause();
  // Deno's TLS socket neither ends nor destroys the stream under it (Node's
  // and Bun's do): end it once TLS has finished writing (close_notify
  // sent), and close it once TLS has closed, after what it holds is sent.
  // A TLS socket over a stream is half-open by default; a transport ends
  // its side when the other side has (as net.Socket does for TCP), which
  // answers close_notify with close_notify.
  socket.once("end", () => {
    if (!socket.writableEnded) socket.end();
  });
  socket.once("finish", () => {
    if (!duplex.writableEnded) duplex.end();
  });
  socket.once("close", () => {
    if (!duplex.writableEnded) duplex.end();
    if (raw.writableFinished || raw.destroyed) raw.destroy();
    else raw.once("finish", () => raw.destroy());
  });
  // An empty write is how the transport waits for what it wrote before to
  // be sent; Deno's TLS socket fails it (EPERM). Writes reach _write one
  // at a time, in order, so completing an empty one at once keeps that.
  const streamWrite = socket._write.bind(socket);
  socket._write = (chunk, encoding, callback) =>
    chunk.length === 0 ? callback() : streamWrite(chunk, encoding, callback);

  let settled = false;
  const settle = (error?: Error): void => {
    if (settled) return;
    settled = true;
    socket.off("error", failed);
    socket.off("close", closed);
    // Errors after the handshake are the transport's to handle; until it
    // listens, one must not crash the process.
    socket.on("error", () => {});
    if (error === undefined) onSecure(socket as unknown as Socket);
    else {
      socket.destroy();
      onError(error);
    }
  };
  const failed = (err: Error & { code?: string }): void =>
    settle(
      new TLSHandshakeError(`The TLS handshake failed: ${err.message}`, {
        cause: err,
        ...(err.code === undefined ? {} : { code: err.code }),
      }),
    );
  const closed = (): void =>
    settle(
      new TLSHandshakeError("The connection closed during the TLS handshake"),
    );
  socket.once("error", failed);
  socket.once("close", closed);
  socket.once(
    side === "server" ? "secure" : "secureConnect",
    () => settle(side === "client" ? verify(tls, socket, options) : undefined),
  );
  return socket as unknown as Socket;
}

// A Duplex over the plain socket, fed by hand: what TLS reads and writes.
function bridge(raw: Socket): Duplex {
  const { Duplex } = _builtin<typeof import("node:stream")>("node:stream")!;
  const duplex = new Duplex({
    read: () => void raw.resume(),
    write: (chunk, _encoding, callback) => {
      // TLS may still answer the other side's close_notify after our end
      // (the runtimes then fail the write: EPIPE, or EPERM on Deno); there
      // is nobody left to read it.
      if (raw.writableEnded || raw.destroyed) callback();
      else raw.write(chunk, callback);
    },
    // The TLS socket finishes (and may then be destroyed) only once the
    // plain socket has sent everything, its FIN included.
    final: (callback) => void raw.end(() => callback()),
    destroy: (error, callback) => {
      raw.destroy();
      callback(error);
    },
  });
  raw.on("data", (chunk: Uint8Array) => {
    if (!duplex.push(chunk)) raw.pause();
  });
  raw.on("end", () => duplex.push(null));
  raw.on("error", (err) => duplex.destroy(err));
  raw.on("close", () => duplex.destroy());
  return duplex;
}

// The server's certificate, checked as optionsForClientTLS promises:
// trusted, in date, and made out to the host name.
function verify(
  tls: typeof import("node:tls"),
  socket: TLSSocket,
  options: TLSOptions,
): Error | undefined {
  if (!options.verify) return undefined;
  const cert: PeerCertificate | undefined = socket.getPeerCertificate();
  if (cert === undefined || cert === null || !cert.raw) {
    return new VerifyError("NO_CERTIFICATE", "it sent no certificate");
  }
  const now = Date.now();
  const from = Date.parse(cert.valid_from);
  const to = Date.parse(cert.valid_to);
  if (now > to) return new CertificateExpiredError(new Date(to));
  if (now < from) return new CertificateExpiredError(new Date(from), true);
  if (!socket.authorized) {
    const why = socket.authorizationError;
    const code = (why as { code?: string } | null)?.code ??
      String(why ?? "UNTRUSTED");
    return new VerifyError(code, describe(code));
  }
  const host = options.hostname;
  if (host !== undefined) {
    const name = _isIPv6(host) ? host.replace(/^\[|\]$/g, "") : host;
    const mismatch = tls.checkServerIdentity(name, cert);
    if (mismatch !== undefined) {
      return new VerificationError(host, cert.subjectaltname ?? "", {
        cause: mismatch,
      });
    }
  }
  return undefined;
}

function isIP(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || _isIPv6(host);
}

const REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed certificate",
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed certificate in the chain",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "not signed by a trusted authority",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "not signed by a trusted authority",
  UNABLE_TO_GET_ISSUER_CERT: "not signed by a trusted authority",
  CERT_SIGNATURE_FAILURE: "bad signature",
  CERT_REVOKED: "revoked",
};

function describe(code: string): string {
  return REASONS[code] ?? code;
}
