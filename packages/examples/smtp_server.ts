/**
 * A tiny SMTP server, built on Twixt's own LineReceiver and Factory, that
 * keeps the messages it is sent in memory: the mail server the email
 * program (email.ts) talks to, so that the tutorial's example runs on any
 * machine without a real mail server.
 *
 * It speaks the part of SMTP (RFC 5321) that a simple client uses: HELO or
 * EHLO, MAIL FROM, RCPT TO, DATA (with dot-unstuffing), RSET, NOOP and
 * QUIT, and answers commands out of order with 503. As Twisted's SMTP
 * server, a line longer than 16384 bytes gets `500 Line too long` (and
 * drops the message being received), and the session goes on.
 *
 * Usage: `deno run -A packages/examples/smtp_server.ts [port]` serves on
 * 127.0.0.1 until interrupted, printing each message it stores.
 *
 * @module
 */
import process from "node:process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Deferred } from "@twixt/defer";
import {
  Factory,
  type IListeningPort,
  type IReactor,
  LineReceiver,
  listenTCP,
  reactor as globalReactor,
} from "@twixt/reactor";

/** A message the server accepted. */
export interface StoredMessage {
  /** The envelope sender, from MAIL FROM. */
  from: string;
  /** The envelope recipients, from RCPT TO. */
  to: string[];
  /** The message itself (headers, blank line, body), lines joined with CRLF. */
  data: string;
}

/** The address in `FROM:<a@b>` or `TO:<a@b>`, or null if malformed. */
function pathOf(arg: string, keyword: string): string | null {
  const m = new RegExp(`^${keyword}:\\s*<([^<>]*)>`, "i").exec(arg);
  return m ? m[1]! : null;
}

/** One SMTP session with a client. */
export class SMTPServerProtocol extends LineReceiver {
  declare factory: SMTPServerFactory | undefined;
  #greeted = false;
  #from: string | null = null;
  #to: string[] = [];
  #data: string[] | null = null;

  override connectionMade(): void {
    this.sendLine("220 localhost Twixt SMTP service ready");
  }

  override lineReceived(line: string): void {
    if (this.#data !== null) return this.#dataLine(line);
    const space = line.indexOf(" ");
    const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const arg = space < 0 ? "" : line.slice(space + 1).trim();
    switch (verb) {
      case "HELO":
        this.#greeted = true;
        return this.sendLine(`250 localhost greets ${arg || "you"}`);
      case "EHLO":
        this.#greeted = true;
        this.sendLine(`250-localhost greets ${arg || "you"}`);
        return this.sendLine("250 8BITMIME");
      case "MAIL": {
        if (!this.#greeted) return this.sendLine("503 Say HELO or EHLO first");
        const from = pathOf(arg, "FROM");
        if (from === null) {
          return this.sendLine("501 Syntax: MAIL FROM:<address>");
        }
        this.#from = from;
        this.#to = [];
        return this.sendLine("250 Sender OK");
      }
      case "RCPT": {
        if (this.#from === null) {
          return this.sendLine("503 Need MAIL before RCPT");
        }
        const to = pathOf(arg, "TO");
        if (to === null) return this.sendLine("501 Syntax: RCPT TO:<address>");
        this.#to.push(to);
        return this.sendLine("250 Recipient OK");
      }
      case "DATA":
        if (this.#to.length === 0) {
          return this.sendLine("503 Need RCPT before DATA");
        }
        this.#data = [];
        return this.sendLine("354 End data with <CR><LF>.<CR><LF>");
      case "RSET":
        this.#from = null;
        this.#to = [];
        return this.sendLine("250 OK");
      case "NOOP":
        return this.sendLine("250 OK");
      case "QUIT":
        this.sendLine("221 Bye");
        return this.transport.loseConnection();
      default:
        return this.sendLine("500 Command not recognized");
    }
  }

  /**
   * As Twisted's `twisted.mail.smtp.SMTP`: reply `500 Line too long` to a
   * line over `MAX_LENGTH` (16384 bytes, Twisted's too) rather than
   * dropping the connection, as LineReceiver does by default, so the client
   * learns why. A message being received is dropped, and what follows is
   * read as commands again.
   */
  override lineLengthExceeded(_line: string): void {
    if (this.#data !== null) {
      this.#data = null;
      this.#from = null;
      this.#to = [];
    }
    this.sendLine("500 Line too long");
  }

  #dataLine(line: string): void {
    if (line !== ".") {
      // Dot-unstuffing: the client doubled each leading dot.
      this.#data!.push(line.startsWith(".") ? line.slice(1) : line);
      return;
    }
    const message: StoredMessage = {
      from: this.#from!,
      to: this.#to,
      data: this.#data!.join("\r\n"),
    };
    this.#data = null;
    this.#from = null;
    this.#to = [];
    const id = this.factory?.store(message) ?? 0;
    this.sendLine(`250 Message accepted for delivery as message ${id}`);
  }
}

/** Makes an SMTP session per connection and keeps the messages they accept. */
export class SMTPServerFactory extends Factory<SMTPServerProtocol> {
  override protocol: typeof SMTPServerProtocol = SMTPServerProtocol;
  /** The messages accepted so far, oldest first. */
  readonly messages: StoredMessage[] = [];
  /** Called with each message as it is stored. */
  onMessage: ((message: StoredMessage) => void) | undefined = undefined;

  /** Keeps `message` and returns its number, counting from 1. */
  store(message: StoredMessage): number {
    this.messages.push(message);
    this.onMessage?.(message);
    return this.messages.length;
  }
}

/**
 * Starts a mail server on 127.0.0.1, port `port` (0 for a free one); the
 * Deferred fires with the listening port and the factory holding the
 * messages.
 */
export function startSMTPServer(
  reactor: IReactor = globalReactor,
  port = 0,
): Deferred<{ port: IListeningPort; factory: SMTPServerFactory }> {
  const factory = new SMTPServerFactory();
  return listenTCP(reactor, port, factory, { interface: "127.0.0.1" })
    .addCallback((listening) => ({ port: listening, factory }));
}

const isMain = (import.meta as { main?: boolean }).main ??
  (process.argv[1] !== undefined &&
    resolve(process.argv[1]) === fileURLToPath(import.meta.url));

if (isMain) {
  const { port, factory } = await startSMTPServer(
    globalReactor,
    Number(process.argv[2] ?? 0),
  );
  factory.onMessage = (m) =>
    console.log(
      `Stored a message from ${m.from} to ${m.to.join(", ")}:\n${m.data}\n`,
    );
  console.log(
    `SMTP server listening on 127.0.0.1:${port.getHost().port}; Ctrl-C stops it`,
  );
  await globalReactor.run();
}
