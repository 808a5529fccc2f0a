/**
 * The same Deferred scenarios on real Twisted (deferred_scenarios.py) and
 * on Twixt (deferred_scenarios.ts, run on this runtime), their printed
 * output compared line by line.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Outcome, run, runProgram } from "../_run.ts";
import { HERE, PYTHON, skipReason } from "./_python.ts";

function python(args: string[]): Promise<Outcome> {
  return run(PYTHON!, [join(HERE, "deferred_scenarios.py"), ...args], {
    timeout: 60,
  });
}

function twixt(args: string[]): Promise<Outcome> {
  return runProgram(join(HERE, "deferred_scenarios.ts"), args, {
    timeout: 60,
  });
}

/** The lines that differ, as a unified-looking listing, for the message. */
function diff(expected: string[], actual: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    if (expected[i] === actual[i]) continue;
    out.push(`line ${i + 1}:`);
    if (expected[i] !== undefined) out.push(`- ${expected[i]} (Twisted)`);
    if (actual[i] !== undefined) out.push(`+ ${actual[i]} (Twixt)`);
  }
  return out.join("\n");
}

/**
 * What each "Unhandled error in Deferred:" report is about: the most
 * specific of the scenario's three errors its text names (a TimeoutError's
 * traceback also names the CancelledError it replaced). Sorted, since
 * reports come in garbage-collection order.
 */
function reports(stderr: string): string[] {
  const blocks = stderr.split(/^Unhandled error in Deferred:$/m).slice(1);
  return blocks.map((b) =>
    ["TimeoutError", "CancelledError", "Boom"].find((n) =>
      new RegExp(`\\b${n}\\b`).test(b)
    ) ?? "?"
  ).sort();
}

describe("Deferred scenarios: Twixt prints what Twisted prints", () => {
  it(
    "chains, nested Deferreds, cancel, timeouts, lists, inlineCallbacks, locks, queues and trap give the same lines",
    {
      skip: skipReason,
    },
    async () => {
      const [py, ts] = await Promise.all([python([]), twixt([])]);
      assert.equal(py.code, 0, py.stderr);
      assert.equal(ts.code, 0, ts.stderr);
      const expected = py.stdout.split("\n");
      const actual = ts.stdout.split("\n");
      assert.ok(expected.length > 100, py.stdout);
      assert.ok(
        expected.join("\n") === actual.join("\n"),
        `Twixt's lines differ from Twisted's:\n${diff(expected, actual)}`,
      );
      assert.equal(ts.stderr, "");
    },
  );

  it(
    "failures nobody handled are reported, each once, by the time the program exits",
    {
      skip: skipReason,
    },
    async () => {
      const [py, ts] = await Promise.all([
        python(["unhandled"]),
        twixt(["unhandled"]),
      ]);
      assert.equal(py.code, 0, py.stderr);
      assert.equal(ts.code, 0, ts.stderr);
      // Twisted's report starts with this line; Twixt's first line is the
      // same, then its own traceback format (JavaScript stacks).
      const expected = reports(py.stderr);
      assert.deepEqual(expected, ["Boom", "CancelledError", "TimeoutError"]);
      assert.deepEqual(reports(ts.stderr), expected, ts.stderr);
    },
  );
});
