/**
 * The TLS tests' certificates (not part of the package's exports): the
 * test-only files under packages/examples/testdata (see its README), read
 * from the source tree, which the tests find from their own location on
 * every runtime (Node runs them compiled under the tree's .node-test).
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Certificate,
  type CertificateOptions,
  PrivateCertificate,
} from "./mod.ts";

function findTestdata(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url));;) {
    const candidate = join(dir, "packages", "examples", "testdata");
    if (existsSync(join(candidate, "ca.pem"))) return candidate;
    if (dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  throw new Error("Cannot find packages/examples/testdata");
}

/** The folder of the test certificates. */
export const TESTDATA: string = findTestdata();

/** The text of a file of the test certificates. */
export function pem(name: string): string {
  return readFileSync(join(TESTDATA, name), "utf8");
}

/** The test CA, which signed server, expired and client. */
export const CA: Certificate = Certificate.loadPEM(pem("ca.pem"));

/**
 * A certificate and its key: `server` (localhost, 127.0.0.1, ::1, signed
 * by the CA), `expired` (the same names, expired in 2001), `untrusted`
 * (the same names, self-signed), `client` (a client certificate).
 */
export function privateCertificate(
  name: "server" | "expired" | "untrusted" | "client",
): PrivateCertificate {
  return PrivateCertificate.loadPEM(pem(`${name}.pem`) + pem(`${name}.key`));
}

/** A server's options presenting the `name` certificate. */
export function serverOptions(
  name: "server" | "expired" | "untrusted" = "server",
): CertificateOptions {
  return privateCertificate(name).options();
}
