// The whole web-client suite once more, on the transport this runtime does
// not use by default: on Node the fetch transport (the default is
// node:http), on Deno and Bun the node:http one (the default is fetch). So
// every behaviour the suite checks is checked on both transports.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const g = globalThis as { Deno?: unknown; Bun?: unknown };
// The child run sets the variable: it does not run itself again.
const nested = process.env["TWIXT_HTTP_TRANSPORT"] !== undefined;
const other = g.Deno !== undefined || g.Bun !== undefined ? "node" : "fetch";

function command(): string[] {
  const tests = readdirSync(here)
    .filter((f) => /_test\.(ts|js)$/.test(f) && f !== self)
    .sort();
  if (g.Deno !== undefined) return ["test", "-A", ...tests];
  if (g.Bun !== undefined) return ["test", ...tests.map((f) => `./${f}`)];
  return ["--test", ...tests];
}

describe("the suite on the other transport", () => {
  it(`passes whole with TWIXT_HTTP_TRANSPORT=${other}`, {
    skip: nested,
    timeout: 300_000,
  }, async () => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      TWIXT_HTTP_TRANSPORT: other,
      NO_COLOR: "1",
    };
    // Set by node --test in its children: it would make this run a nested
    // one, which runs no file.
    delete env["NODE_TEST_CONTEXT"];
    const child = spawn(process.execPath, command(), {
      cwd: here,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (out += s));
    // Bounded: a run still going after 280 s is killed and fails the test.
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, 280_000);
    const code = await new Promise<number | null>((resolve) =>
      child.on("close", resolve)
    );
    clearTimeout(killer);
    const tail = out.split("\n").slice(-60).join("\n");
    assert.equal(killed, false, `the run did not end\n${tail}`);
    assert.equal(code, 0, tail);
    // And it ran the suite, not nothing: "# pass N" (Node), "N pass"
    // (Bun), "N passed (M steps)" (Deno, whose `it`s are the steps).
    const passed = Number(
      /# pass (\d+)|(\d+) pass\b|passed \((\d+) steps\)/.exec(out)
        ?.slice(1).find((x) => x !== undefined),
    );
    assert.ok(passed > 300, `only ${passed} tests passed\n${tail}`);
  });
});
