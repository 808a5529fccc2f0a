/**
 * Certificates and TLS options, as Twisted's `twisted.internet.ssl`:
 * {@linkcode Certificate} and {@linkcode PrivateCertificate} loaded from
 * PEM, trust roots, {@linkcode CertificateOptions} (a server's key and
 * certificate, or a client's, with verification and a minimum TLS version)
 * and {@linkcode optionsForClientTLS} (a client that verifies the server's
 * certificate and name, the safe default).
 *
 * Either kind of options is a {@linkcode ITLSContextFactory}: what
 * `listenSSL`, `connectSSL`, the SSL endpoints and `transport.startTLS`
 * take. Nothing here does I/O or needs `node:tls`; the options are turned
 * into a TLS context when a connection uses them.
 *
 * @module
 */

import { _show } from "./_tcp_options.ts";

const CERT_PEM =
  /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;
const KEY_PEM =
  /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \1-----/;

/**
 * Which side of a TLS connection to be: the client starts the handshake
 * and checks the server's certificate.
 */
export type TLSSide = "client" | "server";

/**
 * The TLS protocol versions a minimum can be raised to (Twisted's
 * `TLSVersion`); TLS 1.2 is the lowest Twixt speaks.
 *
 * @example Usage
 * ```ts
 * import { CertificateOptions, TLSVersion } from "@twixt/reactor";
 *
 * const opts = new CertificateOptions({ raiseMinimumTo: TLSVersion.TLSv1_3 });
 * ```
 */
export const TLSVersion = {
  /** TLS 1.2, the default minimum. */
  TLSv1_2: "TLSv1.2",
  /** TLS 1.3. */
  TLSv1_3: "TLSv1.3",
} as const;

/**
 * A TLS protocol version, as `"TLSv1.2"` or `"TLSv1.3"`.
 *
 * @example Usage
 * ```ts
 * import { type TLSVersionName, TLSVersion } from "@twixt/reactor";
 *
 * const v: TLSVersionName = TLSVersion.TLSv1_2;
 * ```
 */
export type TLSVersionName = typeof TLSVersion[keyof typeof TLSVersion];

/**
 * What one side of a connection needs to set up TLS: what an
 * {@linkcode ITLSContextFactory} gives for a side. Keys and certificates
 * are PEM text.
 *
 * @example Usage
 * ```ts
 * import type { TLSOptions } from "@twixt/reactor";
 *
 * const opts: TLSOptions = { verify: false };
 * ```
 */
export interface TLSOptions {
  /** The private key (PEM) of this side's certificate. */
  key?: string;
  /** This side's certificate, then any chain, PEM. */
  cert?: string;
  /** The certificates to trust (PEM); the platform's when left out. */
  ca?: string[];
  /** Check the other side's certificate (a server: ask the client for one). */
  verify: boolean;
  /** A server that verifies: refuse a client that sends no certificate. */
  requireCertificate?: boolean;
  /** A client: the name the server's certificate must be made out to. */
  hostname?: string;
  /** The lowest TLS version accepted. */
  minVersion?: TLSVersionName;
}

/**
 * Anything that gives TLS options for a side of a connection: a
 * {@linkcode CertificateOptions}, the options of
 * {@linkcode optionsForClientTLS}, or your own (Twisted's
 * `IOpenSSLClientConnectionCreator` and `IOpenSSLServerConnectionCreator`
 * in one).
 *
 * @example Usage
 * ```ts
 * import type { ITLSContextFactory, TLSSide, TLSOptions } from "@twixt/reactor";
 *
 * const anything: ITLSContextFactory = {
 *   getTLSOptions(_side: TLSSide): TLSOptions {
 *     return { verify: false };
 *   },
 * };
 * ```
 */
export interface ITLSContextFactory {
  /** The options to set up `side` of a connection with. */
  getTLSOptions(side: TLSSide): TLSOptions;
}

/**
 * A certificate (public: no key), loaded from PEM, as Twisted's
 * `Certificate`.
 *
 * @example Usage
 * ```ts
 * import { Certificate } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => Certificate.loadPEM("not a certificate"), TypeError);
 * ```
 */
export class Certificate {
  #pem: string;

  /** @internal Use {@linkcode Certificate.loadPEM}. */
  constructor(pem: string) {
    this.#pem = pem;
  }

  /**
   * Loads the first certificate of PEM text (a file's contents).
   *
   * @throws {TypeError} When `data` holds no PEM certificate.
   */
  static loadPEM(data: string | Uint8Array): Certificate {
    const [first] = pemCertificates(data, "load a certificate");
    return new Certificate(first!);
  }

  /**
   * Loads every certificate of PEM text (a bundle of trust roots, or a
   * certificate and its chain).
   *
   * @throws {TypeError} When `data` holds no PEM certificate.
   */
  static loadPEMList(data: string | Uint8Array): Certificate[] {
    return pemCertificates(data, "load certificates").map((p) =>
      new Certificate(p)
    );
  }

  /** The certificate as PEM text. */
  dumpPEM(): string {
    return this.#pem;
  }

  /**
   * Options trusting `authorities`, verifying the other side (Twisted's
   * `Certificate.options`); for a client without a certificate of its own.
   */
  options(...authorities: Certificate[]): CertificateOptions {
    return new CertificateOptions({
      trustRoot: trustRootFromCertificates(authorities),
    });
  }

  /** A description for debugging. */
  toString(): string {
    return "<Certificate>";
  }
}

/**
 * A certificate with its private key, as Twisted's `PrivateCertificate`:
 * what a server (or a client that presents a certificate) needs.
 *
 * @example Usage
 * ```ts
 * import { PrivateCertificate } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => PrivateCertificate.loadPEM("-----BEGIN CERTIFICATE-----\n"), TypeError);
 * ```
 */
export class PrivateCertificate extends Certificate {
  #key: string;
  #chain: string;

  /** @internal Use {@linkcode PrivateCertificate.loadPEM}. */
  constructor(pem: string, key: string, chain = "") {
    super(pem);
    this.#key = key;
    this.#chain = chain;
  }

  /**
   * Loads a certificate and its private key from PEM text holding both
   * (in either order); further certificates are kept as its chain.
   *
   * @throws {TypeError} When `data` lacks the certificate or the key.
   */
  static override loadPEM(data: string | Uint8Array): PrivateCertificate {
    const text = pemText(data, "load a private certificate");
    const [first, ...chain] = pemCertificates(
      text,
      "load a private certificate",
    );
    return new PrivateCertificate(first!, pemKey(text), chain.join("\n"));
  }

  /**
   * A certificate and a key (PEM, or a {@linkcode Certificate}) together
   * (Twisted's `fromCertificateAndKeyPair`).
   *
   * @throws {TypeError} When either is missing or not PEM.
   */
  static fromCertificateAndKeyPair(
    certificate: Certificate | string | Uint8Array,
    key: string | Uint8Array,
  ): PrivateCertificate {
    const pem = certificate instanceof Certificate
      ? certificate.dumpPEM()
      : pemText(certificate, "load a private certificate");
    const [first, ...chain] = pemCertificates(
      pem,
      "load a private certificate",
    );
    return new PrivateCertificate(
      first!,
      pemKey(pemText(key, "load a private key")),
      chain.join("\n"),
    );
  }

  /** The private key as PEM text. */
  privateKeyPEM(): string {
    return this.#key;
  }

  /** The certificate, then its chain, as PEM text. */
  chainPEM(): string {
    return this.#chain ? `${this.dumpPEM()}\n${this.#chain}` : this.dumpPEM();
  }

  /**
   * Options presenting this certificate, as Twisted's
   * `PrivateCertificate.options`: a server's. With `authorities`, the
   * server also asks for a client certificate signed by one of them.
   */
  override options(...authorities: Certificate[]): CertificateOptions {
    return new CertificateOptions({
      certificate: this,
      ...(authorities.length === 0 ? {} : {
        trustRoot: trustRootFromCertificates(authorities),
      }),
    });
  }

  /** A description for debugging: never the key. */
  override toString(): string {
    return "<PrivateCertificate>";
  }
}

/**
 * The certificates a side trusts to sign the other side's: some
 * certificates ({@linkcode trustRootFromCertificates}), or the platform's
 * own ({@linkcode platformTrust}).
 *
 * @example Usage
 * ```ts
 * import { platformTrust, type TrustRoot } from "@twixt/reactor";
 *
 * const root: TrustRoot = platformTrust();
 * ```
 */
export interface TrustRoot {
  /** The trusted certificates; undefined for the platform's. */
  readonly certificates: readonly Certificate[] | undefined;
}

/**
 * Trusts exactly `certificates` (a test or private CA), as Twisted's
 * `trustRootFromCertificates`.
 *
 * @example Usage
 * ```ts
 * import { trustRootFromCertificates } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => trustRootFromCertificates([]), TypeError);
 * ```
 * @throws {TypeError} When the list is empty or holds something else.
 */
export function trustRootFromCertificates(
  certificates: readonly Certificate[],
): TrustRoot {
  if (
    !Array.isArray(certificates) || certificates.length === 0 ||
    !certificates.every((c) => c instanceof Certificate)
  ) {
    throw new TypeError(
      `Cannot make a trust root: it needs a non-empty list of Certificate, not ${
        _show(certificates)
      }`,
    );
  }
  return { certificates: [...certificates] };
}

/**
 * Trusts the authorities the runtime trusts (its bundled root
 * certificates), as Twisted's `platformTrust`: the default of
 * {@linkcode optionsForClientTLS}.
 *
 * @example Usage
 * ```ts
 * import { platformTrust } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * assert.equal(platformTrust().certificates, undefined);
 * ```
 */
export function platformTrust(): TrustRoot {
  return { certificates: undefined };
}

/**
 * The options of {@linkcode CertificateOptions}.
 *
 * @example Usage
 * ```ts
 * import type { CertificateOptionsInit } from "@twixt/reactor";
 *
 * const init: CertificateOptionsInit = { verify: false };
 * ```
 */
export interface CertificateOptionsInit {
  /** This side's certificate and key (a server must have one). */
  certificate?: PrivateCertificate;
  /**
   * Whom to trust to sign the other side's certificate: a
   * {@linkcode TrustRoot}, or one CA {@linkcode Certificate}. Giving one
   * turns `verify` on.
   */
  trustRoot?: TrustRoot | Certificate;
  /**
   * Check the other side's certificate: a client checks the server's
   * (chain only; use {@linkcode optionsForClientTLS} to check its name as
   * well), a server asks the client for one. Off by default unless a
   * `trustRoot` is given, as in Twisted.
   */
  verify?: boolean;
  /** A verifying server: refuse a client that sends no certificate (true by default). */
  requireCertificate?: boolean;
  /** The lowest TLS version accepted; {@linkcode TLSVersion.TLSv1_2} by default. */
  raiseMinimumTo?: TLSVersionName;
}

/**
 * TLS options for either side, as Twisted's `CertificateOptions`: this
 * side's certificate and key, whom to trust, whether to verify the other
 * side, and the lowest TLS version. A server needs a `certificate`.
 *
 * @example Usage
 * ```ts
 * import { CertificateOptions, TLSVersion } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const opts = new CertificateOptions({ raiseMinimumTo: TLSVersion.TLSv1_3 });
 * assert.equal(opts.getTLSOptions("client").minVersion, "TLSv1.3");
 * assert.throws(() => new CertificateOptions({ raiseMinimumTo: "SSLv3" as never }), RangeError);
 * ```
 */
export class CertificateOptions implements ITLSContextFactory {
  #options: TLSOptions;

  /**
   * Checks and keeps the options.
   *
   * @throws {TypeError} When an option has the wrong type.
   * @throws {RangeError} When `raiseMinimumTo` is not a known version.
   */
  constructor(init: CertificateOptionsInit = {}) {
    const what = "Cannot make TLS options";
    if (typeof init !== "object" || init === null) {
      throw new TypeError(
        `${what}: the options must be an object, not ${_show(init)}`,
      );
    }
    const { certificate, trustRoot, raiseMinimumTo } = init;
    if (
      certificate !== undefined && !(certificate instanceof PrivateCertificate)
    ) {
      throw new TypeError(
        `${what}: certificate must be a PrivateCertificate, not ${
          _show(certificate)
        }`,
      );
    }
    for (const name of ["verify", "requireCertificate"] as const) {
      const v: unknown = init[name];
      if (v !== undefined && typeof v !== "boolean") {
        throw new TypeError(
          `${what}: ${name} must be a boolean, not ${_show(v)}`,
        );
      }
    }
    if (
      raiseMinimumTo !== undefined &&
      !Object.values(TLSVersion).includes(raiseMinimumTo)
    ) {
      throw new RangeError(
        `${what}: raiseMinimumTo must be "TLSv1.2" or "TLSv1.3", not ${
          _show(raiseMinimumTo)
        }`,
      );
    }
    const ca = caOf(what, trustRoot);
    this.#options = {
      verify: init.verify ?? trustRoot !== undefined,
      requireCertificate: init.requireCertificate ?? true,
      minVersion: raiseMinimumTo ?? TLSVersion.TLSv1_2,
      ...(ca === undefined ? {} : { ca }),
      ...(certificate === undefined ? {} : {
        key: certificate.privateKeyPEM(),
        cert: certificate.chainPEM(),
      }),
    };
  }

  /** The options for `side` (the same for both, here). */
  getTLSOptions(_side: TLSSide): TLSOptions {
    return { ...this.#options };
  }
}

/**
 * The options of {@linkcode optionsForClientTLS}.
 *
 * @example Usage
 * ```ts
 * import type { ClientTLSInit } from "@twixt/reactor";
 *
 * const init: ClientTLSInit = {};
 * ```
 */
export interface ClientTLSInit {
  /** Whom to trust to sign the server's certificate; the platform's by default. */
  trustRoot?: TrustRoot | Certificate;
  /** A certificate to present, for servers that ask for one. */
  clientCertificate?: PrivateCertificate;
  /** The lowest TLS version accepted; {@linkcode TLSVersion.TLSv1_2} by default. */
  raiseMinimumTo?: TLSVersionName;
}

/**
 * The options of a client that checks the server's certificate: signed by
 * a trusted authority, in its validity period, and made out to `hostname`
 * (a host name, or an IP address the certificate names), as Twisted's
 * `optionsForClientTLS`. A failure is a {@linkcode VerifyError}
 * (untrusted), a {@linkcode CertificateExpiredError}, or a
 * {@linkcode VerificationError} (another name). `hostname` is also sent as
 * the server name (SNI) unless it is an IP address.
 *
 * @param hostname The name the server's certificate must carry.
 * @param init The trust root (the platform's by default), a client
 * certificate, and the lowest TLS version.
 * @returns Options for the client side.
 * @throws {TypeError} When `hostname` is not a non-empty string, or an
 * option has the wrong type.
 * @example Usage
 * ```ts
 * import { optionsForClientTLS } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const opts = optionsForClientTLS("example.org");
 * assert.equal(opts.getTLSOptions("client").hostname, "example.org");
 * assert.throws(() => optionsForClientTLS(""), TypeError);
 * ```
 */
export function optionsForClientTLS(
  hostname: string,
  init: ClientTLSInit = {},
): ITLSContextFactory {
  if (typeof hostname !== "string" || hostname === "") {
    throw new TypeError(
      `Cannot make TLS options for a client: the hostname must be a non-empty string, not ${
        _show(hostname)
      }`,
    );
  }
  const { clientCertificate, trustRoot, raiseMinimumTo } = init ?? {};
  const options = new CertificateOptions({
    verify: true,
    ...(clientCertificate === undefined ? {} : {
      certificate: clientCertificate,
    }),
    ...(trustRoot === undefined ? {} : { trustRoot }),
    ...(raiseMinimumTo === undefined ? {} : { raiseMinimumTo }),
  }).getTLSOptions("client");
  return {
    getTLSOptions: (): TLSOptions => ({ ...options, hostname }),
  };
}

function caOf(what: string, root: unknown): string[] | undefined {
  if (root === undefined) return undefined;
  if (root instanceof Certificate) return [root.dumpPEM()];
  const certs = (root as TrustRoot | null)?.certificates;
  if (
    typeof root === "object" && root !== null && "certificates" in root &&
    (certs === undefined ||
      (Array.isArray(certs) && certs.every((c) => c instanceof Certificate)))
  ) return certs?.map((c) => c.dumpPEM());
  throw new TypeError(
    `${what}: trustRoot must be a TrustRoot or a Certificate, not ${
      _show(root)
    }`,
  );
}

function pemText(data: unknown, action: string): string {
  if (typeof data === "string") return data;
  if (data instanceof Uint8Array) return new TextDecoder().decode(data);
  throw new TypeError(
    `Cannot ${action}: the PEM data must be a string or a Uint8Array, not ${
      _show(data)
    }`,
  );
}

function pemCertificates(data: unknown, action: string): string[] {
  const found = pemText(data, action).match(CERT_PEM);
  if (found === null) {
    throw new TypeError(
      `Cannot ${action}: no "BEGIN CERTIFICATE" block in the PEM data`,
    );
  }
  return found.map((p) => p.replaceAll("\r\n", "\n"));
}

function pemKey(text: string): string {
  const m = KEY_PEM.exec(text);
  if (m === null) {
    throw new TypeError(
      'Cannot load a private key: no "BEGIN PRIVATE KEY" block in the PEM data',
    );
  }
  return m[0].replaceAll("\r\n", "\n");
}
