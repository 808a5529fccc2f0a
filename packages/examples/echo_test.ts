/**
 * Runs the echo server and client as child processes, as a user would,
 * and checks what they print and that they exit 0 on their own (the
 * server when interrupted).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { Failure } from "@twixt/defer";
import {
  ClientFactory,
  connectTCP,
  LineReceiver,
  reactor,
} from "@twixt/reactor";
import { command, EXAMPLES, ROOT, runProgram, runtime } from "./_run.ts";

/** Starts echo_server.ts on a free port; resolves once it says where. */
async function startServer(): Promise<
  { port: number; stop: () => Promise<{ code: number | null; stdout: string }> }
> {
  const { argv: [cmd, ...args], cleanUp } = await command(
    join(EXAMPLES, "echo_server.ts"),
  );
  const child = spawn(cmd!, [...args, "0"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  const exited = new Promise<{ code: number | null; stdout: string }>(
    (resolve) => {
      child.on("close", (code, signal) => {
        cleanUp();
        // Deno's child_process reports a child it sent SIGTERM to as killed
        // by it even when the child handled the signal and exited 0; the
        // "stopped" line shows that it did.
        const handled = runtime === "deno" && signal === "SIGTERM" &&
          /Echo server stopped\n$/.test(stdout);
        resolve({ code: handled ? 0 : code, stdout });
      });
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stdout);
      if (m) resolve(Number(m[1]));
    });
    child.on(
      "close",
      () => reject(new Error(`echo_server.ts exited early:\n${stdout}`)),
    );
  });
  return {
    port,
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

describe("the echo server and client", () => {
  it("echo_client.ts with no arguments starts its own server, prints each echoed line, and exits 0", async () => {
    const r = await runProgram(join(EXAMPLES, "echo_client.ts"), [], {
      timeout: 60,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "Server said: Hello, echo!\nServer said: Ünïcödé travels intact\nServer said: Goodbye.\n",
    );
  });

  it("echo_server.ts echoes what a client sends, and stops cleanly when interrupted", async () => {
    const server = await startServer();
    try {
      const lines: string[] = [];
      const lost = new Promise<Failure>((resolve) => {
        class Client extends LineReceiver {
          override connectionMade(): void {
            this.sendLine("ping");
            this.sendLine("pong");
          }
          override lineReceived(line: string): void {
            lines.push(line);
            if (lines.length === 2) this.transport.loseConnection();
          }
          override connectionLost(reason: Failure): void {
            resolve(reason);
          }
        }
        connectTCP(
          reactor,
          "127.0.0.1",
          server.port,
          ClientFactory.forProtocol(Client),
        );
      });
      await lost;
      assert.deepEqual(lines, ["ping", "pong"]);

      const r = await runProgram(
        join(EXAMPLES, "echo_client.ts"),
        ["127.0.0.1", String(server.port), "over the wire"],
        { timeout: 60 },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "Server said: over the wire\n");
    } finally {
      const { code, stdout } = await server.stop();
      assert.equal(code, 0, stdout);
      assert.match(stdout, /Echo server stopped\n$/);
    }
  });

  it("echo_client.ts exits 1 with the reason when nothing listens", async () => {
    const server = await startServer();
    await server.stop();
    const r = await runProgram(join(EXAMPLES, "echo_client.ts"), [
      "127.0.0.1",
      String(server.port),
    ], { timeout: 60 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ConnectionRefusedError/);
  });
});
