/**
 * SMTP both ways against real Twisted: the email example's client
 * (email.ts, each step a Deferred) sends to Twisted's ESMTP server, and
 * Twisted's `sendmail` sends to the example's server (smtp_server.ts).
 * Messages must arrive byte-exact, dot-stuffing undone; a line over 16384
 * bytes gets Twisted's `500 Line too long` either way.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { reactor } from "@twixt/reactor";
import { type Email, sendEmail, SMTPError } from "../email.ts";
import { startSMTPServer } from "../smtp_server.ts";
import { skipReason, startPeer } from "./_python.ts";

const encoder = new TextEncoder();
const hex = (s: string): string =>
  Buffer.from(encoder.encode(s)).toString("hex");

/** Twisted's SMTP server (LineOnlyReceiver) takes lines of this many bytes. */
const LIMIT = 16384;

const email: Email = {
  from: "alice@example.org",
  to: "bob@example.org",
  subject: "Interop",
  body: [
    "Plain line",
    ".one leading dot",
    "..two leading dots",
    ".",
    "",
    "Grüße, 日本語, ✓ and é split nowhere",
    "x".repeat(LIMIT),
    "€".repeat(Math.floor(LIMIT / 3)),
    "last line",
  ].join("\n"),
};

/** The message as email.ts sends it: headers, a blank line, the body. */
const sent = [
  `From: ${email.from}`,
  `To: ${email.to}`,
  `Subject: ${email.subject}`,
  "",
  ...email.body.split("\n"),
].join("\r\n");

const tooLong: Email = { ...email, body: `short\n${"y".repeat(LIMIT + 1)}\n.` };

describe("SMTP: email.ts's client against Twisted's ESMTP server", () => {
  it(
    "delivers the message byte-exact: dots unstuffed, a lone dot, 16384-byte and UTF-8 lines",
    {
      timeout: 60_000,
      skip: skipReason,
    },
    async () => {
      const peer = await startPeer("smtp_peer.py", ["server"]);
      try {
        const accepted = await sendEmail(
          reactor,
          "127.0.0.1",
          peer.port,
          email,
          () => {},
        ).asPromise();
        assert.match(accepted, /Delivery in progress/);
        const [line] = peer.stdout().split("\n");
        assert.ok(line?.startsWith("MESSAGE "), peer.stdout() + peer.stderr());
        const got = Buffer.from(line!.slice(8), "hex");
        assert.ok(
          got.equals(Buffer.from(encoder.encode(sent))),
          `Twisted received:\n${got.toString("utf8").slice(0, 400)}`,
        );
      } finally {
        await peer.kill();
      }
    },
  );

  it(
    "gets Twisted's 500 Line too long for a line over 16384 bytes, and nothing is delivered",
    {
      timeout: 60_000,
      skip: skipReason,
    },
    async () => {
      const peer = await startPeer("smtp_peer.py", ["server"]);
      try {
        await assert.rejects(
          sendEmail(reactor, "127.0.0.1", peer.port, tooLong, () => {})
            .asPromise(),
          (e: unknown) =>
            e instanceof SMTPError && e.code === 500 &&
            /Line too long/.test(e.message),
        );
        assert.doesNotMatch(peer.stdout(), /MESSAGE/);
      } finally {
        await peer.kill();
      }
    },
  );
});

describe("SMTP: Twisted's sendmail against smtp_server.ts", () => {
  /** Runs Twisted's sendmail of `message` to our server; its last line. */
  async function sendmail(message: string): Promise<{
    result: string;
    stored: string[];
  }> {
    const { port, factory } = await startSMTPServer(reactor).asPromise();
    try {
      const peer = await startPeer("smtp_peer.py", [
        "sendmail",
        String(port.getHost().port),
        email.from,
        email.to,
        hex(message),
      ]);
      const timer = setTimeout(() => void peer.kill(), 30_000);
      await peer.exited;
      clearTimeout(timer);
      return {
        result: peer.stdout().trim() + peer.stderr(),
        stored: factory.messages.map((m) => m.data),
      };
    } finally {
      await port.stopListening().asPromise();
    }
  }

  it(
    "stores the message byte-exact: dots unstuffed, a lone dot, 16384-byte and UTF-8 lines",
    {
      timeout: 60_000,
      skip: skipReason,
    },
    async () => {
      // sendmail takes local newlines ("\n") and sends each as CRLF.
      const { result, stored } = await sendmail(
        `${sent.replaceAll("\r\n", "\n")}\n`,
      );
      assert.equal(result, "SENT");
      assert.equal(stored.length, 1);
      assert.ok(
        Buffer.from(encoder.encode(stored[0]!)).equals(
          Buffer.from(encoder.encode(sent)),
        ),
        `smtp_server.ts stored:\n${stored[0]!.slice(0, 400)}`,
      );
    },
  );

  it(
    "answers a line over 16384 bytes with 500 Line too long, as Twisted's server does, not a silent close",
    {
      timeout: 60_000,
      skip: skipReason,
    },
    async () => {
      const { result, stored } = await sendmail(
        `Subject: long\n\n${"y".repeat(LIMIT + 1)}\n`,
      );
      assert.match(result, /^FAILED \w+ 500 "Line too long"/);
      assert.deepEqual(stored, []);
    },
  );
});
