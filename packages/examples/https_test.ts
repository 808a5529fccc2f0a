/**
 * getPage over HTTPS against a local server with the test-only
 * certificate (packages/examples/testdata): getPage uses the runtime's own
 * HTTPS (fetch), so a private CA is given to the runtime, per process:
 * `NODE_EXTRA_CA_CERTS` (Node, Bun) and `DENO_CERT` (Deno). Without it the
 * certificate is refused.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:https";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EXAMPLES, runProgram } from "./_run.ts";

const TESTDATA = join(EXAMPLES, "testdata");
const CA_ENV = {
  NODE_EXTRA_CA_CERTS: join(TESTDATA, "ca.pem"),
  DENO_CERT: join(TESTDATA, "ca.pem"),
};

async function withServer(
  test: (url: string) => Promise<void>,
): Promise<void> {
  const server: Server = createServer({
    key: readFileSync(join(TESTDATA, "server.key")),
    cert: readFileSync(join(TESTDATA, "server.pem")),
  }, (_req, res) => res.end("secure hello\n"));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  try {
    await test(`https://localhost:${port}/`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

describe("getPage over HTTPS with a private CA", () => {
  it("fetches from a local HTTPS server once the runtime trusts the test CA", async () => {
    await withServer(async (url) => {
      const r = await runProgram(join(EXAMPLES, "error_handler.ts"), [url], {
        env: CA_ENV,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), "secure hello");
    });
  });

  it("refuses the server's certificate without it", async () => {
    await withServer(async (url) => {
      const r = await runProgram(join(EXAMPLES, "error_handler.ts"), [url]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^An error has occurred: /);
      assert.doesNotMatch(r.stdout, /secure hello/);
    });
  });
});
