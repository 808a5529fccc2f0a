/**
 * The email client against the SMTP server in memory, with
 * `@twixt/reactor/testing`: no socket, no waiting, and every step of the
 * conversation seen on its own, one `pump()` at a time.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Deferred, type Failure, TimeoutError } from "@twixt/defer";
import {
  assertNoResult,
  failureResultOf,
  successResultOf,
} from "@twixt/defer/testing";
import {
  ConnectionDone,
  ConnectionRefusedError,
  Protocol,
} from "@twixt/reactor";
import {
  checkCleanReactor,
  installCleanReactorCheck,
  MemoryReactorClock,
} from "@twixt/reactor/testing";
import { type Email, sendEmail, SMTPError } from "./email.ts";
import { SMTPServerFactory, SMTPServerProtocol } from "./smtp_server.ts";

// Nothing may be left on the shared reactor by any test here.
installCleanReactorCheck(afterEach);

const email: Email = {
  from: "a@example.org",
  to: "b@example.org",
  subject: "Test",
  body: "line one\n.dotted line\n..two dots",
};

// The server, recording each line it receives.
class RecordingServer extends SMTPServerProtocol {
  static received: string[] = [];
  override lineReceived(line: string): void {
    RecordingServer.received.push(line);
    super.lineReceived(line);
  }
}

// A reactor in memory, a recording SMTP server factory, and the email
// being sent through the reactor to mail.example.org:25.
function setUp(): {
  reactor: MemoryReactorClock;
  factory: SMTPServerFactory;
  log: string[];
  received: string[];
  d: Deferred<string>;
} {
  const reactor = new MemoryReactorClock();
  const factory = new SMTPServerFactory();
  factory.protocol = RecordingServer;
  RecordingServer.received = [];
  const log: string[] = [];
  const d = sendEmail(
    reactor,
    "mail.example.org",
    25,
    email,
    (l) => log.push(l),
  );
  return { reactor, factory, log, received: RecordingServer.received, d };
}

describe("sendEmail in memory", () => {
  it("connects through the reactor it is given, to the host and port asked, with the step timeout", () => {
    const { reactor, d } = setUp();
    assert.deepEqual(
      reactor.tcpClients.map((
        [host, port, , timeout],
      ) => [host, port, timeout]),
      [["mail.example.org", 25, 10]],
    );
    assertNoResult(d);
    reactor.connectors[0]!.connectionFailed();
    failureResultOf(d, ConnectionRefusedError);
    checkCleanReactor(reactor);
  });

  it("runs the whole conversation, each round of it seen with pump()", () => {
    const { reactor, factory, log, received, d } = setUp();
    const { client, server, pump } = reactor.connectors[0]!.succeed(factory, {
      greet: false,
    });
    assert.ok(server instanceof RecordingServer);
    // Each round moves what one side wrote to the other: the client's log
    // (what it heard and said) and the server's received lines grow in turn.
    const rounds: Array<[clientLog: string[], serverReceived: string[]]> = [
      [
        ["S: 220 localhost Twixt SMTP service ready", "C: EHLO twixt.example"],
        [],
      ],
      [[], ["EHLO twixt.example"]],
      [[
        "S: 250-localhost greets twixt.example",
        "S: 250 8BITMIME",
        "C: MAIL FROM:<a@example.org>",
      ], []],
      [[], ["MAIL FROM:<a@example.org>"]],
      [["S: 250 Sender OK", "C: RCPT TO:<b@example.org>"], []],
      [[], ["RCPT TO:<b@example.org>"]],
      [["S: 250 Recipient OK", "C: DATA"], []],
      [[], ["DATA"]],
      [[
        "S: 354 End data with <CR><LF>.<CR><LF>",
        "C: From: a@example.org",
        "C: To: b@example.org",
        "C: Subject: Test",
        "C: ",
        "C: line one",
        "C: .dotted line",
        "C: ..two dots",
        "C: .",
      ], []],
      // Dot-stuffed on the wire: a line starting with "." gets another.
      [[], [
        "From: a@example.org",
        "To: b@example.org",
        "Subject: Test",
        "",
        "line one",
        "..dotted line",
        "...two dots",
        ".",
      ]],
      [["S: 250 Message accepted for delivery as message 1", "C: QUIT"], []],
      [[], ["QUIT"]],
      [["S: 221 Bye"], []],
    ];
    let seenLog = 0;
    let seenReceived = 0;
    for (const [i, [said, heard]] of rounds.entries()) {
      assertNoResult(d);
      // One step's timeout at a time is pending on the reactor's clock.
      assert.equal(reactor.getDelayedCalls().length, 1, `round ${i + 1}`);
      assert.equal(pump.pump(), true, `round ${i + 1} moves data`);
      assert.deepEqual(log.slice(seenLog), said, `client, round ${i + 1}`);
      assert.deepEqual(
        received.slice(seenReceived),
        heard,
        `server, round ${i + 1}`,
      );
      seenLog = log.length;
      seenReceived = received.length;
      if (i < 9) assert.equal(factory.messages.length, 0);
    }
    assert.equal(
      successResultOf(d),
      "Message accepted for delivery as message 1",
    );
    assert.deepEqual(factory.messages, [{
      from: "a@example.org",
      to: ["b@example.org"],
      data:
        "From: a@example.org\r\nTo: b@example.org\r\nSubject: Test\r\n\r\nline one\r\n.dotted line\r\n..two dots",
    }]);
    // Both sides called loseConnection: the next round closes.
    assert.equal(client.transport.disconnecting, true);
    assert.equal(server.transport.disconnecting, true);
    assert.equal(client.transport.connected, true);
    assert.equal(pump.pump(), true);
    assert.equal(client.transport.connected, false);
    assert.equal(server.transport.connected, false);
    assert.equal(pump.pump(), false);
    assert.equal(reactor.connectors[0]!.state, "disconnected");
    checkCleanReactor(reactor);
  });

  it("gives the same result when every byte arrives on its own", () => {
    const { reactor, factory, d } = setUp();
    const { client } = reactor.connectors[0]!.succeed(factory, {
      chunkSize: 1,
    });
    assert.equal(
      successResultOf(d),
      "Message accepted for delivery as message 1",
    );
    assert.equal(factory.messages[0]!.data.split("\r\n").at(-1), "..two dots");
    assert.equal(client.transport.connected, false);
    checkCleanReactor(reactor);
  });

  it("fails with SMTPError when the server refuses a step, and hangs up", () => {
    class Picky extends SMTPServerProtocol {
      override lineReceived(line: string): void {
        if (line.startsWith("RCPT")) this.sendLine("550 No such user here");
        else super.lineReceived(line);
      }
    }
    const { reactor, log, d } = setUp();
    const { server } = reactor.connectors[0]!.succeed(() => new Picky());
    const f = failureResultOf(d, SMTPError);
    assert.equal((f.value as SMTPError).code, 550);
    assert.equal(log.some((l) => l.startsWith("C: DATA")), false);
    assert.equal(server.transport.connected, false);
    checkCleanReactor(reactor);
  });

  it("fails with TimeoutError when the server never greets, at the timeout and not before, and hangs up", () => {
    const { reactor, d } = setUp();
    let lost: string | undefined;
    class Silent extends Protocol {
      override connectionLost(reason: Failure): void {
        lost = reason.type?.name;
      }
    }
    const { pump } = reactor.connectors[0]!.succeed(() => new Silent());
    reactor.advance(9.999);
    assertNoResult(d);
    reactor.advance(0.001);
    failureResultOf(d, TimeoutError);
    pump.flush();
    assert.equal(lost, ConnectionDone.name);
    checkCleanReactor(reactor);
  });
});
