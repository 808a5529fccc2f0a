// Process-level behaviour of the reactor and react(): child programs in the
// shape of Twisted scripts, run on the same runtime as this test (Deno,
// Bun, or Node on the npm build), must exit on their own, run their
// shutdown triggers in order, and end with the right exit codes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type OnOutput,
  type Outcome,
  runModule,
} from "../defer/_child_test_util.ts";

// The packages as this runtime resolves them: the TypeScript sources on
// Deno and Bun, the npm build on Node.
const REACTOR = import.meta.resolve("@twixt/reactor");
const TASK = import.meta.resolve("@twixt/reactor/task");

// Runs `program` (JavaScript; `reactor`, `task` and `process` are in
// scope) in a child process. `onOutput` sees the output as it comes, to
// signal the child at the right moment.
function runChild(program: string, onOutput?: OnOutput): Promise<Outcome> {
  return runModule(
    `import process from "node:process";
const reactor = (await import(${JSON.stringify(REACTOR)})).reactor;
const task = await import(${JSON.stringify(TASK)});
${program}`,
    onOutput,
  );
}

function lines(s: string): string[] {
  return s.split("\n").filter((l) => l !== "");
}

describe("a program in the shape of a Twisted script", () => {
  it("exits on its own after reactor.stop(), with a far-future call still pending, running shutdown triggers in order", async () => {
    const out = await runChild(`
reactor.callLater(3600, () => console.log("never"));
reactor.callLater(0.02, () => console.log("first"));
reactor.callLater(0.04, () => {
  console.log("second, stopping");
  reactor.stop();
});
reactor.addSystemEventTrigger("after", "shutdown", () => console.log("after"));
reactor.addSystemEventTrigger("during", "shutdown", () => console.log("during"));
reactor.addSystemEventTrigger("before", "shutdown", () =>
  new Promise((resolve) => setTimeout(() => {
    console.log("before (waited on)");
    resolve();
  }, 20)));
reactor.callWhenRunning(() => console.log("running"));
reactor.run().then(() => console.log("run() resolved"));
`);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(lines(out.stdout), [
      "running",
      "first",
      "second, stopping",
      "before (waited on)",
      "during",
      "after",
      "run() resolved",
    ]);
  });

  it("stays alive while running until a signal stops it through the shutdown triggers", async () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      let sent = false;
      const out = await runChild(
        `
process.on("exit", (code) => console.log(\`exit \${code}\`));
reactor.addSystemEventTrigger("during", "shutdown", () => console.log("shutdown"));
reactor.callWhenRunning(() => console.log("running"));
await reactor.run();
console.log("run() resolved");
`,
        (stdout, kill) => {
          if (!sent && stdout.includes("running")) {
            sent = true;
            kill(signal);
          }
        },
      );
      assert.deepEqual(
        lines(out.stdout),
        ["running", "shutdown", "run() resolved", "exit 0"],
        `${signal}: ${out.stderr}`,
      );
      // Deno's node:child_process reports a child it sent a signal to as
      // ended by that signal even when it exited with 0 (Deno.Command sees
      // the 0); the "exit 0" line above shows the exit was a normal one.
      if (!(globalThis as { Deno?: unknown }).Deno) {
        assert.equal(out.code, 0, `${signal}: ${out.stderr}`);
      }
    }
  });

  it("leaves SIGINT to a handler the program installed before run(), as Twisted does", async () => {
    let sent = false;
    const out = await runChild(
      `
process.on("SIGINT", () => console.log("own handler"));
reactor.callWhenRunning(() => console.log("running"));
reactor.callLater(0.3, () => console.log("still running"));
reactor.callLater(0.4, () => reactor.stop());
await reactor.run();
console.log("run() resolved");
process.removeAllListeners("SIGINT");
`,
      (stdout, kill) => {
        if (!sent && stdout.includes("running")) {
          sent = true;
          kill("SIGINT");
        }
      },
    );
    assert.deepEqual(
      lines(out.stdout),
      ["running", "own handler", "still running", "run() resolved"],
      out.stderr,
    );
  });

  it("takes its signal handlers off once run() has ended, so a signal then has its default effect", async () => {
    let sent = false;
    const out = await runChild(
      `
process.on("exit", (code) => console.log(\`exit \${code}\`));
reactor.callWhenRunning(() => reactor.stop());
await reactor.run();
console.log("stopped");
// Bounded: the signal should end the program long before this.
setTimeout(() => console.log("still alive"), 5000);
`,
      (stdout, kill) => {
        if (!sent && stdout.includes("stopped")) {
          sent = true;
          kill("SIGTERM");
        }
      },
    );
    // Ended by the signal: no "exit" event, no "still alive".
    assert.deepEqual(lines(out.stdout), ["stopped"], out.stderr);
    assert.equal(out.code, null);
  });

  it("exits on its own after reactor.crash(), with a far-future call pending and no shutdown trigger run", async () => {
    const out = await runChild(`
reactor.callLater(3600, () => console.log("never"));
reactor.addSystemEventTrigger("before", "shutdown", () => console.log("shutdown"));
reactor.callLater(0.02, () => {
  console.log("crashing");
  reactor.crash();
});
reactor.run().then(() => console.log("run() resolved"));
`);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(lines(out.stdout), ["crashing", "run() resolved"]);
  });

  it("runs calls scheduled without run(), and exits when they are done", async () => {
    const out = await runChild(`
reactor.callLater(0.02, () => console.log("ran without run()"));
`);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(lines(out.stdout), ["ran without run()"]);
  });

  it("logs a call that throws, with its stack, and goes on", async () => {
    const out = await runChild(`
reactor.callLater(0, function brokenCall() { throw new Error("Broken call"); });
reactor.callLater(0.01, () => { console.log("still running"); reactor.stop(); });
reactor.run();
`);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(lines(out.stdout), ["still running"]);
    assert.match(out.stderr, /Error: Broken call\n\s+at .*brokenCall/);
  });
});

describe("react()", () => {
  it("exits with code 0 when main's Deferred fires", async () => {
    const out = await runChild(`
task.react((r, word) => task.deferLater(r, 0.01, () => console.log(word)), ["hello"]);
`);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(lines(out.stdout), ["hello"]);
  });

  it("exits with code 1 after printing the traceback when main fails", async () => {
    const out = await runChild(`
task.react(async function main() {
  await task.deferLater(reactor, 0.01);
  throw new RangeError("Main went wrong");
});
`);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /RangeError: Main went wrong\n\s+at /);
  });

  it("exits with the code of a SystemExit", async () => {
    const out = await runChild(`
task.react(() => { throw new task.SystemExit(3); });
`);
    assert.equal(out.code, 3, out.stderr);
  });

  it("ends the process even when something else would hold it open", async () => {
    const out = await runChild(`
setInterval(() => {}, 1000);
task.react(() => task.deferLater(reactor, 0.01, () => console.log("done")));
`);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(lines(out.stdout), ["done"]);
  });
});
