/**
 * The tutorial's motivating program: send an email without waiting on the
 * network. Connect to a mail server, wait for its greeting, send each
 * command and wait for each reply, then disconnect — every step a
 * Deferred, all of them one callback chain, and nothing blocked meanwhile.
 *
 * The client is a LineReceiver speaking just enough SMTP. With no
 * arguments the program starts its own mail server (smtp_server.ts) on
 * 127.0.0.1, a free port, sends it one message, prints what the server
 * stored, and exits 0 on its own.
 *
 * With `--starttls` the conversation is encrypted after EHLO (STARTTLS,
 * RFC 3207: the same LineReceiver goes on over TLS through
 * `transport.startTLS`, the server's certificate checked against its name),
 * and the client logs in with AUTH PLAIN before MAIL FROM; the embedded
 * server then offers STARTTLS with the test-only certificate of
 * packages/examples/testdata and requires the login.
 *
 * Usage: `deno run -A packages/examples/email.ts [--starttls] [--cafile
 * FILE] [--auth USER:PASSWORD] [host port]` (given a host and port, it
 * sends to that server instead, a test server only please; `--cafile`
 * trusts that CA instead of the platform's).
 *
 * @module
 */
import process from "node:process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Deferred, type Failure } from "@twixt/defer";
import {
  Certificate,
  connectProtocol,
  type IReactor,
  type ITLSContextFactory,
  LineReceiver,
  optionsForClientTLS,
  reactor as globalReactor,
  TCP4ClientEndpoint,
  type TCPTransport,
} from "@twixt/reactor";
import { react } from "@twixt/reactor/task";
import { startSMTPServer, testCA, testServerTLS } from "./smtp_server.ts";

/** A reply of the server: its code and its lines of text. */
export interface Reply {
  code: number;
  lines: string[];
}

/** The server answered a command with an error (4xx or 5xx). */
export class SMTPError extends Error {
  /** The reply code. */
  readonly code: number;
  constructor(command: string, reply: Reply) {
    super(`Server refused ${command}: ${reply.code} ${reply.lines.join(" ")}`);
    this.name = "SMTPError";
    this.code = reply.code;
  }
}

/** A message to send. */
export interface Email {
  from: string;
  to: string;
  subject: string;
  body: string;
}

/**
 * The client side of SMTP: {@linkcode SMTPClient.command} sends a line and
 * returns a Deferred of the server's reply, which fails with
 * {@linkcode SMTPError} for a 4xx or 5xx reply, and with the connection's
 * reason if it is lost first.
 */
export class SMTPClient extends LineReceiver {
  #waiting: { command: string; d: Deferred<Reply> } | undefined;
  #lines: string[] = [];
  #log: (line: string) => void;

  constructor(log: (line: string) => void = () => {}) {
    super();
    this.#log = log;
    // The greeting is the reply to connecting.
    this.#waiting = { command: "connecting", d: new Deferred<Reply>() };
  }

  /** The server's greeting (220), or its refusal. */
  greeting(): Deferred<Reply> {
    return this.#waiting!.d;
  }

  /** Sends `line` and returns a Deferred of the reply. */
  command(line: string, shown: string = line): Deferred<Reply> {
    if (this.#waiting !== undefined) {
      throw new Error(
        `Cannot send ${shown}: still waiting for the reply to ${this.#waiting.command}`,
      );
    }
    const d = new Deferred<Reply>();
    this.#waiting = { command: shown, d };
    this.#log(`C: ${shown}`);
    this.sendLine(line);
    return d;
  }

  /** Sends the message text after DATA, dot-stuffed and ended by ".". */
  sendData(email: Email): Deferred<Reply> {
    const text = [
      `From: ${email.from}`,
      `To: ${email.to}`,
      `Subject: ${email.subject}`,
      "",
      ...email.body.split(/\r?\n/),
    ];
    for (const line of text) {
      this.#log(`C: ${line}`);
      this.sendLine(line.startsWith(".") ? `.${line}` : line);
    }
    return this.command(".");
  }

  override lineReceived(line: string): void {
    this.#log(`S: ${line}`);
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
    const waiting = this.#waiting;
    if (m === null || waiting === undefined) {
      this.#fail(
        new Error(
          `Cannot understand the server's line: ${JSON.stringify(line)}`,
        ),
      );
      return;
    }
    this.#lines.push(m[3]!);
    if (m[2] === "-") return; // more lines of the same reply follow
    const reply = { code: Number(m[1]), lines: this.#lines };
    this.#lines = [];
    this.#waiting = undefined;
    if (reply.code >= 400) {
      waiting.d.errback(new SMTPError(waiting.command, reply));
    } else waiting.d.callback(reply);
  }

  override connectionLost(reason: Failure): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.d.errback(reason);
  }

  #fail(error: Error): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    this.transport.abortConnection();
    waiting?.d.errback(error);
  }
}

/** How {@linkcode sendEmail} secures the session and logs in. */
export interface SecureOptions {
  /**
   * Switch to TLS with these options after EHLO (STARTTLS), e.g.
   * `optionsForClientTLS(host)`; a server that does not offer it fails
   * the send.
   */
  starttls?: ITLSContextFactory;
  /** Log in with AUTH PLAIN before MAIL FROM (never shown in the log). */
  auth?: { username: string; password: string };
}

/** The server's reply lacks an extension the client needs. */
export class MissingExtensionError extends Error {
  constructor(extension: string) {
    super(`Cannot go on: the server does not offer ${extension}`);
    this.name = "MissingExtensionError";
  }
}

/**
 * Sends `email` through the SMTP server at `host`:`port`. Each step is a
 * Deferred, and they form one chain: connect, greeting, EHLO, (STARTTLS,
 * the switch to TLS, EHLO again, AUTH PLAIN,) MAIL FROM, RCPT TO, DATA,
 * the message, QUIT. Any failure (refused connection, an error reply, a
 * certificate that does not verify, a step taking over `timeout` seconds)
 * skips the remaining steps, drops the connection and fails the returned
 * Deferred.
 *
 * @returns A Deferred of the server's acceptance line.
 */
export function sendEmail(
  reactor: IReactor,
  host: string,
  port: number,
  email: Email,
  log: (line: string) => void = console.log,
  timeout = 10,
  secure: SecureOptions = {},
): Deferred<string> {
  let client: SMTPClient | undefined;
  let accepted = "";
  const step = (d: Deferred<Reply>): Deferred<Reply> =>
    d.addTimeout(timeout, reactor);
  const endpoint = new TCP4ClientEndpoint(reactor, host, port, { timeout });
  return connectProtocol(endpoint, new SMTPClient(log))
    .addCallback((c) => {
      client = c;
      return step(c.greeting());
    })
    .addCallback(() => step(client!.command("EHLO twixt.example")))
    .addCallback((reply) => secureSession(client!, reply, secure, step, log))
    .addCallback(() => step(client!.command(`MAIL FROM:<${email.from}>`)))
    .addCallback(() => step(client!.command(`RCPT TO:<${email.to}>`)))
    .addCallback(() => step(client!.command("DATA")))
    .addCallback(() => step(client!.sendData(email)))
    .addCallback((reply) => {
      accepted = reply.lines.join(" ");
      return step(client!.command("QUIT"));
    })
    .addCallback(() => {
      client!.transport.loseConnection();
      return accepted;
    })
    .addErrback((failure: Failure) => {
      // Whatever failed, do not leave the connection open.
      client?.transport.abortConnection();
      return failure;
    });
}

/**
 * The optional steps between EHLO and MAIL FROM: STARTTLS (switching the
 * same protocol to TLS when the server answers 220) and EHLO again, then
 * AUTH PLAIN. Each is a Deferred of the reply, like the other steps.
 */
function secureSession(
  client: SMTPClient,
  ehloReply: Reply,
  secure: SecureOptions,
  step: (d: Deferred<Reply>) => Deferred<Reply>,
  log: (line: string) => void,
): Reply | Deferred<Reply> {
  const offers = (reply: Reply, extension: string): boolean =>
    reply.lines.some((l) => l.toUpperCase().split(" ")[0] === extension);
  const login = (reply: Reply): Reply | Deferred<Reply> => {
    const auth = secure.auth;
    if (auth === undefined) return reply;
    if (!offers(reply, "AUTH")) throw new MissingExtensionError("AUTH");
    const plain = btoa(
      String.fromCharCode(
        ...new TextEncoder().encode(`\0${auth.username}\0${auth.password}`),
      ),
    );
    // The password never reaches the log or an error message.
    return step(client.command(`AUTH PLAIN ${plain}`, "AUTH PLAIN ***"));
  };
  const tls = secure.starttls;
  if (tls === undefined) return login(ehloReply);
  if (!offers(ehloReply, "STARTTLS")) {
    throw new MissingExtensionError("STARTTLS");
  }
  return step(client.command("STARTTLS"))
    .addCallback(() => {
      // Everything after the 220 is TLS: the same protocol goes on.
      (client.transport as TCPTransport).startTLS(tls);
      log("-- TLS started; the rest is encrypted --");
      return step(client.command("EHLO twixt.example"));
    })
    .addCallback(login);
}

/** The demo account of the embedded server (`--starttls`). */
const DEMO_ACCOUNT = { username: "alice", password: "wonderland" };

/**
 * The program: start a mail server (unless `host` and `port` name one),
 * send it a message, print the conversation and what the server stored.
 * `argv`: `[--starttls] [--cafile FILE] [--auth USER:PASSWORD] [host port]`.
 */
export function main(
  reactor: IReactor = globalReactor,
  ...argv: string[]
): Deferred<void> {
  const args = [...argv];
  const flag = (name: string): boolean => {
    const i = args.indexOf(name);
    if (i >= 0) args.splice(i, 1);
    return i >= 0;
  };
  const option = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const starttls = flag("--starttls");
  const cafile = option("--cafile");
  const login = option("--auth");
  const [host, port] = args;
  const email: Email = {
    from: "alice@example.org",
    to: "bob@example.org",
    subject: "Deferreds",
    body:
      "Hello Bob,\n\nThis message was sent one Deferred at a time.\n.signed, Alice",
  };
  if (host !== undefined && port !== undefined) {
    const trustRoot = cafile === undefined
      ? undefined
      : Certificate.loadPEM(readFileSync(cafile, "utf8"));
    const [username = "", ...rest] = login?.split(":") ?? [];
    return sendEmail(reactor, host, Number(port), email, console.log, 10, {
      ...(starttls
        ? { starttls: optionsForClientTLS(host, trustRoot && { trustRoot }) }
        : {}),
      ...(login === undefined
        ? {}
        : { auth: { username, password: rest.join(":") } }),
    }).addCallback((accepted) => console.log(`\nSent: ${accepted}`));
  }
  const secure: SecureOptions = starttls
    ? {
      // The embedded server's certificate is for localhost, signed by the
      // test CA: the client checks both, as against a real server.
      starttls: optionsForClientTLS("localhost", { trustRoot: testCA() }),
      auth: DEMO_ACCOUNT,
    }
    : {};
  return startSMTPServer(
    reactor,
    0,
    starttls
      ? {
        tls: testServerTLS(),
        accounts: new Map([[DEMO_ACCOUNT.username, DEMO_ACCOUNT.password]]),
      }
      : {},
  ).addCallback(
    ({ port: listening, factory }) => {
      console.log(
        `A mail server is listening on 127.0.0.1:${listening.getHost().port}${
          starttls ? " (STARTTLS with a test certificate, AUTH PLAIN)" : ""
        }\n`,
      );
      return sendEmail(
        reactor,
        "127.0.0.1",
        listening.getHost().port,
        email,
        console.log,
        10,
        secure,
      )
        .addCallback((accepted) => {
          console.log(`\nSent: ${accepted}`);
          const stored = factory.messages;
          console.log(`The server stored ${stored.length} message:`);
          for (const m of stored) {
            console.log(`  from ${m.from} to ${m.to.join(", ")}`);
            for (const line of m.data.split("\r\n")) console.log(`  | ${line}`);
          }
        })
        .addBoth((result) =>
          listening.stopListening().addCallback(() => result)
        );
    },
  );
}

const isMain = (import.meta as { main?: boolean }).main ??
  (process.argv[1] !== undefined &&
    resolve(process.argv[1]) === fileURLToPath(import.meta.url));

if (isMain) {
  react(main, process.argv.slice(2));
}
