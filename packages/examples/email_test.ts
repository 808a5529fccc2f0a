/**
 * The email program as a child process (it must talk to its embedded mail
 * server and exit 0 on its own), and its SMTP client and server in
 * process: the error paths of the Deferred chain, and the server's
 * handling of commands.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Failure, TimeoutError } from "@twixt/defer";
import {
  ConnectionRefusedError,
  Factory,
  type IListeningPort,
  listenTCP,
  Protocol,
  reactor,
  StringTransport,
} from "@twixt/reactor";
import { EXAMPLES, runProgram } from "./_run.ts";
import { type Email, sendEmail, SMTPError } from "./email.ts";
import {
  SMTPServerFactory,
  SMTPServerProtocol,
  startSMTPServer,
} from "./smtp_server.ts";

const email: Email = {
  from: "a@example.org",
  to: "b@example.org",
  subject: "Test",
  body: "line one\n.dotted line\n..two dots",
};

function quiet(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (l) => lines.push(l) };
}

describe("email.ts", () => {
  it("sends a message step by step to its own mail server, prints what was stored, and exits 0", async () => {
    const r = await runProgram(join(EXAMPLES, "email.ts"), [], { timeout: 60 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const steps = r.stdout.split("\n").filter((l) => /^[CS]: \S/.test(l)).map((
      l,
    ) => l.split(/[ :]/).slice(0, 3).join(" "));
    assert.deepEqual(
      steps.filter((s) => s.startsWith("S")).map((s) => s.slice(0, 6)),
      [
        "S  220",
        "S  250",
        "S  250",
        "S  250",
        "S  250",
        "S  354",
        "S  250",
        "S  221",
      ],
    );
    for (const command of ["EHLO", "MAIL FROM", "RCPT TO", "DATA", "QUIT"]) {
      assert.match(r.stdout, new RegExp(`^C: ${command}`, "m"));
    }
    assert.match(
      r.stdout,
      /^Sent: Message accepted for delivery as message 1$/m,
    );
    assert.match(
      r.stdout,
      /^The server stored 1 message:\n {2}from alice@example\.org to bob@example\.org\n/m,
    );
    assert.match(r.stdout, /^ {2}\| \.signed, Alice$/m);
  });
});

describe("sendEmail", () => {
  it("delivers the message, dot-stuffing lines that start with a dot", async () => {
    const { port, factory } = await startSMTPServer(reactor);
    const { lines, log } = quiet();
    try {
      const accepted = await sendEmail(
        reactor,
        "127.0.0.1",
        port.getHost().port,
        email,
        log,
      );
      assert.equal(accepted, "Message accepted for delivery as message 1");
      assert.deepEqual(factory.messages, [{
        from: "a@example.org",
        to: ["b@example.org"],
        data:
          "From: a@example.org\r\nTo: b@example.org\r\nSubject: Test\r\n\r\nline one\r\n.dotted line\r\n..two dots",
      }]);
      assert.equal(lines[0], "S: 220 localhost Twixt SMTP service ready");
      assert.equal(lines.at(-1), "S: 221 Bye");
    } finally {
      await port.stopListening();
    }
  });

  it("fails with SMTPError when the server refuses a step, and skips the rest", async () => {
    class Picky extends SMTPServerProtocol {
      override lineReceived(line: string): void {
        if (line.startsWith("RCPT")) this.sendLine("550 No such user here");
        else super.lineReceived(line);
      }
    }
    const factory = new SMTPServerFactory();
    factory.protocol = Picky;
    const port = await listenTCP(reactor, 0, factory, {
      interface: "127.0.0.1",
    });
    const { lines, log } = quiet();
    try {
      await assert.rejects(
        sendEmail(reactor, "127.0.0.1", port.getHost().port, email, log)
          .asPromise(),
        (e: SMTPError) =>
          e instanceof SMTPError && e.code === 550 && /RCPT TO/.test(e.message),
      );
      assert.equal(lines.some((l) => l.startsWith("C: DATA")), false);
      assert.equal(factory.messages.length, 0);
    } finally {
      await port.stopListening();
    }
  });

  it("fails with ConnectionRefusedError when no server listens", async () => {
    const { port } = await startSMTPServer(reactor);
    const number = port.getHost().port;
    await port.stopListening();
    await assert.rejects(
      sendEmail(reactor, "127.0.0.1", number, email, () => {}).asPromise(),
      ConnectionRefusedError,
    );
  });

  it("fails with TimeoutError and hangs up when the server never greets", async () => {
    let onLost!: (reason: Failure) => void;
    const lost = new Promise<Failure>((resolve) => (onLost = resolve));
    class Silent extends Protocol {
      override connectionLost(reason: Failure): void {
        onLost(reason);
      }
    }
    const silent = Factory.forProtocol(Silent);
    const port: IListeningPort = await listenTCP(reactor, 0, silent, {
      interface: "127.0.0.1",
    });
    try {
      await assert.rejects(
        sendEmail(
          reactor,
          "127.0.0.1",
          port.getHost().port,
          email,
          () => {},
          0.05,
        ).asPromise(),
        TimeoutError,
      );
      await lost;
    } finally {
      await port.stopListening();
    }
  });
});

describe("SMTPServerProtocol", () => {
  function session(): {
    say: (line: string) => string;
    factory: SMTPServerFactory;
    transport: StringTransport;
  } {
    const factory = new SMTPServerFactory();
    const p = factory.buildProtocol(new StringTransport().getPeer())!;
    const t = new StringTransport();
    p.makeConnection(t);
    const say = (line: string): string => {
      t.clear();
      p.dataReceived(new TextEncoder().encode(line + "\r\n"));
      return t.value();
    };
    return { say, factory, transport: t };
  }

  it("answers commands out of order with 503 and unknown ones with 500", () => {
    const { say } = session();
    assert.match(say("MAIL FROM:<a@b>"), /^503 /);
    assert.match(say("HELO me"), /^250 /);
    assert.match(say("RCPT TO:<a@b>"), /^503 /);
    assert.match(say("DATA"), /^503 /);
    assert.match(say("MAIL FROM:a@b"), /^501 /);
    assert.match(say("FROB"), /^500 /);
    assert.match(say("NOOP"), /^250 /);
  });

  it("stores a message, unstuffing dots, and numbers it", () => {
    const { say, factory } = session();
    say("EHLO me");
    say("MAIL FROM:<x@y>");
    say("RCPT TO:<p@q>");
    say("RCPT TO:<r@s>");
    assert.match(say("DATA"), /^354 /);
    say("Subject: hi");
    say("");
    say("..leading dot");
    assert.equal(
      say("."),
      "250 Message accepted for delivery as message 1\r\n",
    );
    assert.deepEqual(factory.messages, [{
      from: "x@y",
      to: ["p@q", "r@s"],
      data: "Subject: hi\r\n\r\n.leading dot",
    }]);
    assert.equal(say("QUIT"), "221 Bye\r\n");
  });

  it("answers a line over 16384 bytes with 500 Line too long, as Twisted's server, drops the message and stays connected", () => {
    const { say, factory, transport } = session();
    say("EHLO me");
    say("MAIL FROM:<x@y>");
    say("RCPT TO:<p@q>");
    say("DATA");
    assert.equal(say("x".repeat(16384)), "");
    assert.equal(say("y".repeat(16385)), "500 Line too long\r\n");
    assert.equal(transport.disconnecting, false);
    assert.match(say("."), /^500 Command not recognized/);
    assert.equal(factory.messages.length, 0);
    assert.match(say("MAIL FROM:<x@y>"), /^250 /);
    assert.match(say("RCPT TO:<p@q>"), /^250 /);
    assert.match(say("DATA"), /^354 /);
    say("z".repeat(16384));
    assert.match(say("."), /^250 /);
    assert.equal(factory.messages[0]!.data, "z".repeat(16384));
  });
});
