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
 * Given TLS options, it offers STARTTLS (RFC 3207): after `220 Ready to
 * start TLS` the same protocol object goes on over TLS
 * (`transport.startTLS`), and the client must say EHLO again. Given
 * accounts, it offers AUTH PLAIN (RFC 4954) once the session is encrypted,
 * and asks for it before MAIL. {@linkcode testServerTLS} is the test-only
 * certificate of packages/examples/testdata.
 *
 * Usage: `deno run -A packages/examples/smtp_server.ts [port]` serves on
 * 127.0.0.1 until interrupted, printing each message it stores.
 *
 * @module
 */
import process from "node:process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Deferred } from "@twixt/defer";
import {
  Certificate,
  Factory,
  type IListeningPort,
  type IReactor,
  type ITLSContextFactory,
  LineReceiver,
  listenTCP,
  PrivateCertificate,
  reactor as globalReactor,
  type TCPTransport,
} from "@twixt/reactor";
import { EXAMPLES } from "./_run.ts";

const TESTDATA = join(EXAMPLES, "testdata");

/**
 * The embedded server's TLS options: the TEST-ONLY certificate for
 * localhost and 127.0.0.1 in packages/examples/testdata (its key is
 * public: see the README there).
 */
export function testServerTLS(): ITLSContextFactory {
  const read = (name: string): string =>
    readFileSync(join(TESTDATA, name), "utf8");
  return PrivateCertificate.loadPEM(read("server.pem") + read("server.key"))
    .options();
}

/** The test CA that signed {@linkcode testServerTLS}'s certificate. */
export function testCA(): Certificate {
  return Certificate.loadPEM(readFileSync(join(TESTDATA, "ca.pem"), "utf8"));
}

/** Decodes AUTH PLAIN's base64 `\0user\0password`, or null if malformed. */
function decodePlain(b64: string): [string, string] | null {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)),
    );
  } catch {
    return null;
  }
  const parts = text.split("\0");
  return parts.length === 3 ? [parts[1]!, parts[2]!] : null;
}

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
  #secure = false;
  #user: string | null = null;
  // AUTH PLAIN sent without its response: the next line is it.
  #authPending = false;

  override connectionMade(): void {
    this.sendLine("220 localhost Twixt SMTP service ready");
  }

  override lineReceived(line: string): void {
    if (this.#data !== null) return this.#dataLine(line);
    if (this.#authPending) {
      this.#authPending = false;
      return this.#authenticate(line);
    }
    const space = line.indexOf(" ");
    const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const arg = space < 0 ? "" : line.slice(space + 1).trim();
    switch (verb) {
      case "HELO":
        this.#greeted = true;
        return this.sendLine(`250 localhost greets ${arg || "you"}`);
      case "EHLO": {
        this.#greeted = true;
        const extensions = ["8BITMIME"];
        if (this.factory?.tls !== undefined && !this.#secure) {
          extensions.push("STARTTLS");
        }
        if (this.#authOffered()) extensions.push("AUTH PLAIN");
        this.sendLine(`250-localhost greets ${arg || "you"}`);
        extensions.forEach((e, i) =>
          this.sendLine(`250${i === extensions.length - 1 ? " " : "-"}${e}`)
        );
        return;
      }
      case "STARTTLS": {
        const tls = this.factory?.tls;
        if (tls === undefined) return this.sendLine("454 TLS not available");
        if (this.#secure) return this.sendLine("503 Already using TLS");
        // RFC 3207: forget the session so far; the client says EHLO again.
        this.sendLine("220 Ready to start TLS");
        (this.transport as TCPTransport).startTLS(tls);
        this.#secure = true;
        this.#greeted = false;
        this.#from = null;
        this.#to = [];
        return;
      }
      case "AUTH": {
        if (!this.#authOffered()) {
          return this.sendLine("503 AUTH not available");
        }
        if (this.#user !== null) {
          return this.sendLine("503 Already authenticated");
        }
        const [mechanism, response] = arg.split(/\s+/);
        if (mechanism?.toUpperCase() !== "PLAIN") {
          return this.sendLine("504 Unrecognized authentication type");
        }
        if (response === undefined) {
          this.#authPending = true;
          return this.sendLine("334 ");
        }
        return this.#authenticate(response);
      }
      case "MAIL": {
        if (!this.#greeted) return this.sendLine("503 Say HELO or EHLO first");
        if (this.factory?.accounts !== undefined && this.#user === null) {
          return this.sendLine("530 Authentication required");
        }
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

  // AUTH is offered only over TLS, as the password goes in the clear.
  #authOffered(): boolean {
    return this.factory?.accounts !== undefined &&
      (this.#secure || this.factory.tls === undefined);
  }

  #authenticate(response: string): void {
    const decoded = response === "*" ? null : decodePlain(response);
    if (decoded === null) {
      return this.sendLine("501 Cannot decode the AUTH PLAIN response");
    }
    const [user, password] = decoded;
    if (this.factory?.accounts?.get(user) !== password) {
      return this.sendLine("535 Authentication failed");
    }
    this.#user = user;
    this.sendLine("235 Authentication successful");
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
  /** TLS options: with them, the server offers STARTTLS. */
  tls: ITLSContextFactory | undefined = undefined;
  /** User names and passwords: with them, AUTH PLAIN is required before MAIL. */
  accounts: Map<string, string> | undefined = undefined;

  /** Keeps `message` and returns its number, counting from 1. */
  store(message: StoredMessage): number {
    this.messages.push(message);
    this.onMessage?.(message);
    return this.messages.length;
  }
}

/** What {@linkcode startSMTPServer} can offer besides plain SMTP. */
export interface SMTPServerOptions {
  /** TLS options, to offer STARTTLS ({@linkcode testServerTLS} for tests). */
  tls?: ITLSContextFactory;
  /** Accounts, to require AUTH PLAIN. */
  accounts?: Map<string, string>;
}

/**
 * Starts a mail server on 127.0.0.1, port `port` (0 for a free one); the
 * Deferred fires with the listening port and the factory holding the
 * messages.
 */
export function startSMTPServer(
  reactor: IReactor = globalReactor,
  port = 0,
  options: SMTPServerOptions = {},
): Deferred<{ port: IListeningPort; factory: SMTPServerFactory }> {
  const factory = new SMTPServerFactory();
  factory.tls = options.tls;
  factory.accounts = options.accounts;
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
