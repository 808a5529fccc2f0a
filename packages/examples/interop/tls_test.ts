/**
 * TLS both ways against real Twisted (pyOpenSSL): Twixt's connectSSL to
 * Twisted's listenSSL and Twisted's connectSSL to Twixt's listenSSL (echo,
 * byte-exact, each side verifying the other's certificate name against
 * the test CA), and STARTTLS in SMTP: the email example's client against
 * Twisted's ESMTP server with STARTTLS and AUTH PLAIN, and Twisted's
 * ESMTPSenderFactory (TLS and login required) against smtp_server.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  ClientFactory,
  connectSSL,
  Factory,
  listenSSL,
  optionsForClientTLS,
  PrivateCertificate,
  Protocol,
  reactor,
  VerificationError,
} from "@twixt/reactor";
import type { Failure } from "@twixt/defer";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EXAMPLES } from "../_run.ts";
import { type Email, sendEmail } from "../email.ts";
import { startSMTPServer, testCA, testServerTLS } from "../smtp_server.ts";
import { PYTHON, skipReason, startPeer } from "./_python.ts";

/** Why these tests cannot run: no Twisted, or no pyOpenSSL for its TLS. */
const skip: string | false = skipReason ||
  (spawnSync(PYTHON!, ["-c", "import OpenSSL, service_identity"], {
      stdio: "ignore",
      timeout: 20_000,
    }).status === 0
    ? false
    : "pyOpenSSL is not installed: apt-get install python3-openssl python3-service-identity");

const N = 4 * 1024 * 1024;
// The peer's pattern (tls_peer.py): byte i is BLOCK[i % 65521].
const BLOCK = new Uint8Array(65521).map((_, i) => (i * 131 + (i >> 7)) & 255);
const pattern = (n: number): Uint8Array =>
  new Uint8Array(n).map((_, i) => BLOCK[i % BLOCK.length]!);
const sha256 = (b: Uint8Array): string =>
  createHash("sha256").update(b).digest("hex");
const trusted = () => optionsForClientTLS("localhost", { trustRoot: testCA() });

const email: Email = {
  from: "alice@example.org",
  to: "bob@example.org",
  subject: "Interop over TLS",
  body: "Plain line\n.one leading dot\nGrüße ✓",
};
const sent = [
  `From: ${email.from}`,
  `To: ${email.to}`,
  `Subject: ${email.subject}`,
  "",
  ...email.body.split("\n"),
].join("\r\n");
const login = { username: "alice", password: "s3cret-pass" };

describe("TLS against Twisted", () => {
  it(
    "connectSSL echoes 4 MB byte-exact through Twisted's listenSSL, verifying it as localhost",
    {
      timeout: 60_000,
      skip,
    },
    async () => {
      const peer = await startPeer("tls_peer.py", ["server"]);
      try {
        const data = pattern(N);
        const chunks: Uint8Array[] = [];
        let got = 0;
        let onLost!: (reason: Failure) => void;
        const lost = new Promise<Failure>((resolve) => (onLost = resolve));
        class Client extends Protocol {
          override connectionMade(): void {
            this.transport.write(data);
          }
          override dataReceived(d: Uint8Array): void {
            chunks.push(d.slice());
            got += d.length;
            if (got >= N) this.transport.loseConnection();
          }
          override connectionLost(reason: Failure): void {
            onLost(reason);
          }
        }
        await connectSSL(
          reactor,
          "127.0.0.1",
          peer.port,
          ClientFactory.forProtocol(Client),
          trusted(),
        );
        await lost;
        const all = new Uint8Array(got);
        let at = 0;
        for (const c of chunks) (all.set(c, at), at += c.length);
        assert.equal(got, N);
        assert.equal(sha256(all), sha256(data));
      } finally {
        await peer.kill();
      }
    },
  );

  it(
    "Twisted's connectSSL (optionsForClientTLS) echoes 4 MB byte-exact through listenSSL",
    {
      timeout: 60_000,
      skip,
    },
    async () => {
      class Echo extends Protocol {
        override dataReceived(d: Uint8Array): void {
          this.transport.write(d);
        }
      }
      const cert = PrivateCertificate.loadPEM(
        ["server.pem", "server.key"].map((f) =>
          readFileSync(join(EXAMPLES, "testdata", f), "utf8")
        ).join(""),
      );
      const port = await listenSSL(
        reactor,
        0,
        Factory.forProtocol(Echo),
        cert.options(),
        { interface: "127.0.0.1" },
      );
      try {
        const peer = await startPeer("tls_peer.py", [
          "client",
          String(port.getHost().port),
          String(N),
        ]);
        await peer.exited;
        const [word, got, want] = peer.stdout().trim().split(" ");
        assert.equal(word, "ECHO", peer.stdout() + peer.stderr());
        assert.equal(got, want);
        assert.equal(want, sha256(pattern(N)));
      } finally {
        await port.stopListening();
      }
    },
  );
});

describe("STARTTLS in SMTP against Twisted", () => {
  it(
    "the email client switches Twisted's ESMTP session to TLS, logs in with AUTH PLAIN and delivers byte-exact",
    {
      timeout: 60_000,
      skip,
    },
    async () => {
      const peer = await startPeer("smtp_tls_peer.py", ["server"]);
      try {
        const accepted = await sendEmail(
          reactor,
          "127.0.0.1",
          peer.port,
          email,
          () => {},
          20,
          { starttls: trusted(), auth: login },
        ).asPromise();
        assert.match(accepted, /Delivery in progress/);
        const out = peer.stdout();
        assert.match(out, /^SECURE True$/m, out + peer.stderr());
        const line = out.split("\n").find((l) => l.startsWith("MESSAGE "));
        assert.ok(line, out + peer.stderr());
        assert.equal(
          Buffer.from(line.slice(8), "hex").toString("utf8"),
          sent,
        );
      } finally {
        await peer.kill();
      }
    },
  );

  it(
    "the email client refuses Twisted's certificate when it expects another name",
    {
      timeout: 60_000,
      skip,
    },
    async () => {
      const peer = await startPeer("smtp_tls_peer.py", ["server"]);
      try {
        await assert.rejects(
          sendEmail(reactor, "127.0.0.1", peer.port, email, () => {}, 20, {
            starttls: optionsForClientTLS("mail.example.org", {
              trustRoot: testCA(),
            }),
            auth: login,
          }).asPromise(),
          VerificationError,
        );
        assert.doesNotMatch(peer.stdout(), /MESSAGE/);
      } finally {
        await peer.kill();
      }
    },
  );

  it(
    "Twisted's ESMTPSenderFactory (TLS and login required) delivers to smtp_server.ts through STARTTLS",
    {
      timeout: 60_000,
      skip,
    },
    async () => {
      const { port, factory } = await startSMTPServer(reactor, 0, {
        tls: testServerTLS(),
        accounts: new Map([[login.username, login.password]]),
      });
      try {
        const peer = await startPeer("smtp_tls_peer.py", [
          "sendmail",
          String(port.getHost().port),
          email.from,
          email.to,
          Buffer.from(`${sent.replaceAll("\r\n", "\n")}\n`).toString("hex"),
        ]);
        await peer.exited;
        assert.equal(peer.stdout().trim(), "SENT", peer.stderr());
        assert.equal(factory.messages.length, 1);
        assert.equal(factory.messages[0]!.data, sent);
      } finally {
        await port.stopListening();
      }
    },
  );
});
