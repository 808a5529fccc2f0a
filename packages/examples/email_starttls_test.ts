/**
 * The email example with STARTTLS and AUTH PLAIN: the program with
 * `--starttls` end to end, and sendEmail against smtp_server.ts offering
 * STARTTLS with the test certificate, including each way it must fail.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  Certificate,
  optionsForClientTLS,
  reactor,
  VerificationError,
  VerifyError,
} from "@twixt/reactor";
import { readFileSync } from "node:fs";
import { EXAMPLES, runProgram } from "./_run.ts";
import {
  type Email,
  MissingExtensionError,
  type SecureOptions,
  sendEmail,
  SMTPError,
} from "./email.ts";
import {
  type SMTPServerOptions,
  startSMTPServer,
  testCA,
  testServerTLS,
} from "./smtp_server.ts";

const email: Email = {
  from: "a@example.org",
  to: "b@example.org",
  subject: "Secret",
  body: "over TLS\n.with a dot",
};
const accounts = new Map([["alice", "s3cret-pass"]]);
const login = { username: "alice", password: "s3cret-pass" };

/** Sends through a server with `server` options; the log and what it stored. */
async function send(
  server: SMTPServerOptions,
  secure: SecureOptions,
): Promise<{ result: unknown; lines: string[]; stored: number }> {
  const { port, factory } = await startSMTPServer(reactor, 0, server);
  const lines: string[] = [];
  try {
    const result = await sendEmail(
      reactor,
      "127.0.0.1",
      port.getHost().port,
      email,
      (l) => lines.push(l),
      10,
      secure,
    ).asPromise().then((r) => r, (e) => e);
    return { result, lines, stored: factory.messages.length };
  } finally {
    await port.stopListening();
  }
}

const trusted = () => optionsForClientTLS("localhost", { trustRoot: testCA() });

describe("email.ts --starttls", () => {
  it("switches its own server's session to TLS, logs in, sends, and exits 0, never printing the password", async () => {
    const r = await runProgram(join(EXAMPLES, "email.ts"), ["--starttls"], {
      timeout: 60,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const at = (line: string) => r.stdout.indexOf(line);
    assert.ok(at("S: 250 STARTTLS") > 0, r.stdout);
    assert.ok(at("S: 220 Ready to start TLS") > at("C: STARTTLS"));
    assert.ok(at("-- TLS started") > at("S: 220 Ready to start TLS"));
    assert.ok(at("C: AUTH PLAIN ***") > at("-- TLS started"));
    assert.ok(at("S: 235 Authentication successful") > 0);
    assert.match(
      r.stdout,
      /^Sent: Message accepted for delivery as message 1$/m,
    );
    assert.doesNotMatch(r.stdout, /wonderland|AUTH PLAIN [A-Za-z0-9+/]{8}/);
  });
});

describe("sendEmail with STARTTLS", () => {
  it("delivers over TLS after EHLO again and AUTH PLAIN", async () => {
    const { result, lines, stored } = await send(
      { tls: testServerTLS(), accounts },
      { starttls: trusted(), auth: login },
    );
    assert.equal(result, "Message accepted for delivery as message 1");
    assert.equal(stored, 1);
    assert.equal(lines.filter((l) => l === "C: EHLO twixt.example").length, 2);
    assert.ok(!lines.some((l) => l.includes("s3cret")));
  });

  it("fails with VerifyError when the server's certificate is not from a trusted authority", async () => {
    const other = Certificate.loadPEM(
      readFileSync(join(EXAMPLES, "testdata", "untrusted.pem"), "utf8"),
    );
    const { result, stored } = await send(
      { tls: testServerTLS(), accounts },
      {
        starttls: optionsForClientTLS("localhost", { trustRoot: other }),
        auth: login,
      },
    );
    assert.ok(result instanceof VerifyError, String(result));
    assert.equal(stored, 0);
  });

  it("fails with VerificationError when the certificate is for another name", async () => {
    const { result } = await send({ tls: testServerTLS() }, {
      starttls: optionsForClientTLS("mail.example.org", {
        trustRoot: testCA(),
      }),
    });
    assert.ok(result instanceof VerificationError, String(result));
  });

  it("fails with MissingExtensionError against a server without STARTTLS, sending nothing more", async () => {
    const { result, lines } = await send({}, { starttls: trusted() });
    assert.ok(result instanceof MissingExtensionError, String(result));
    assert.ok(!lines.some((l) => l.startsWith("C: MAIL")));
  });

  it("a wrong password fails with 535 and the error does not show it", async () => {
    const { result, stored } = await send(
      { tls: testServerTLS(), accounts },
      { starttls: trusted(), auth: { username: "alice", password: "wrong" } },
    );
    assert.ok(result instanceof SMTPError && result.code === 535);
    assert.doesNotMatch(result.message, /wrong|AUTH PLAIN [A-Za-z0-9]/);
    assert.equal(stored, 0);
  });

  it("a server that requires AUTH refuses MAIL without it (530)", async () => {
    const { result } = await send({ tls: testServerTLS(), accounts }, {
      starttls: trusted(),
    });
    assert.ok(result instanceof SMTPError && result.code === 530);
  });
});
