/**
 * Runs every example program as a child process on the current runtime
 * (Node runs them bundled to JavaScript, against the npm builds of the
 * packages) and checks what it prints and that it exits 0 on its own.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { EXAMPLES, type Outcome, runProgram } from "./_run.ts";
import { pages, serveSite, type Site } from "./site.ts";

function example(file: string, args: string[] = []): Promise<Outcome> {
  return runProgram(join(EXAMPLES, file), args, { timeout: 60 });
}

function assertClean(r: Outcome): void {
  assert.equal(r.code, 0, `exit code ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /Unhandled error|Error/, r.stderr);
}

const frontPage = pages["/"]!;
const printed =
  `The Deferred has called printContents with the following contents:\n${frontPage}\n`;
const notFound =
  "An error has occurred: <[Failure instance: HTTPError: 404 Not Found]>\n";

describe("the tutorial's programs, with no URL, on their own local site", () => {
  it("print_contents.ts prints the page that getPage's Deferred passed to printContents", async () => {
    const r = await example("print_contents.ts");
    assertClean(r);
    assert.equal(r.stdout, printed);
  });

  it("lower_case_contents.ts prints what lowerCaseContents passed on: the page in lower case", async () => {
    const r = await example("lower_case_contents.ts");
    assertClean(r);
    assert.equal(r.stdout, `${frontPage.toLowerCase()}\n`);
  });

  it("error_handler.ts prints the 404 Failure that reached errorHandler, and exits 0", async () => {
    const r = await example("error_handler.ts");
    assertClean(r);
    assert.equal(r.stdout, notFound);
  });
});

describe("the tutorial's programs, given a URL", () => {
  let site: Site;
  before(async () => {
    site = await serveSite();
  });
  after(() => site.close());

  it("print_contents.ts fetches the page at the URL given", async () => {
    const r = await example("print_contents.ts", [`${site.url}mushrooms`]);
    assertClean(r);
    assert.equal(
      r.stdout,
      `The Deferred has called printContents with the following contents:\n${
        pages["/mushrooms"]
      }\n`,
    );
  });

  it("lower_case_contents.ts lower-cases the page at the URL given", async () => {
    const r = await example("lower_case_contents.ts", [`${site.url}recipes`]);
    assertClean(r);
    assert.equal(r.stdout, `${pages["/recipes"]!.toLowerCase()}\n`);
  });

  it("error_handler.ts prints the page when the URL given exists", async () => {
    const r = await example("error_handler.ts", [`${site.url}guests`]);
    assertClean(r);
    assert.equal(r.stdout, `${pages["/guests"]}\n`);
  });

  it("error_handler.ts reports a refused connection through errorHandler", async () => {
    const closed = await serveSite();
    await closed.close(); // nothing listens on its port any more
    const r = await example("error_handler.ts", [closed.url]);
    assertClean(r);
    assert.match(
      r.stdout,
      /^An error has occurred: <\[Failure instance: \w+: .+\]>\n$/,
    );
  });
});

describe("the guides' programs", () => {
  it("chained_deferred.ts passes the linked page, not a Deferred, to the next callback", async () => {
    const r = await example("chained_deferred.ts");
    assertClean(r);
    assert.equal(
      r.stdout,
      [
        "Fetching the front page.",
        "The front page links to /mushrooms: fetching it.",
        "The outer chain now waits for the inner Deferred.",
        "The next callback got the linked page: They're highly poisonous.",
        "",
      ].join("\n"),
    );
  });

  it("deferred_list.ts shows DeferredList, gatherResults and race over several pages", async () => {
    const r = await example("deferred_list.ts");
    assertClean(r);
    const lines = r.stdout.split("\n");
    assert.deepEqual(lines.slice(0, 9), [
      "DeferredList, every outcome in order:",
      "  ok     /mushrooms: They're highly poisonous.",
      "  ok     /recipes: It's too late to use another recipe: our dinner party is cancelled.",
      "  ok     /guests: Seven disappointed dinner guests.",
      "  failed /does-not-exist: [Failure instance: HTTPError: 404 Not Found]",
      "gatherResults, the three pages that exist:",
      "  They're highly poisonous.",
      "  It's too late to use another recipe: our dinner party is cancelled.",
      "  Seven disappointed dinner guests.",
    ]);
    assert.equal(
      lines[9],
      "gatherResults with the missing page fails: page 3 (/does-not-exist): 404 Not Found",
    );
    assert.match(
      lines[10]!,
      /^race: \/(mushrooms|recipes|guests) came first: /,
    );
    assert.equal(lines.length, 12);
  });

  it("cancellation.ts ends each cancelled request with CancelledError", async () => {
    const r = await example("cancellation.ts");
    assertClean(r);
    const cancelled =
      "  The errback got [Failure instance: CancelledError: Deferred was cancelled]";
    assert.deepEqual(r.stdout.split("\n"), [
      "1. getPage of a page that takes 30 seconds, cancelled after 0.2",
      cancelled,
      "2. A chain waiting on an inner getPage, cancelled after 0.2",
      "  The inner Deferred was cancelled too: [Failure instance: CancelledError: Deferred was cancelled]",
      cancelled,
      "3. An AbortController aborts a getPage after 0.2",
      cancelled,
      "",
    ]);
  });

  it("timeouts.ts times out slow requests and releases the timer of a quick one", async () => {
    const r = await example("timeouts.ts");
    assertClean(r);
    const lines = r.stdout.split("\n");
    assert.equal(lines.length, 10);
    assert.equal(
      lines[1],
      "  The errback got [Failure instance: TimeoutError: Deferred timed out after 0.5 seconds]",
    );
    assert.match(
      lines[3]!,
      /^ {2}The errback got \[Failure instance: TimeoutError: .*0\.5 seconds\]$/,
    );
    assert.equal(lines[5], "  The page arrived: They're highly poisonous.");
    assert.equal(lines[6], "  Timers still pending: 0");
    assert.equal(
      lines[8],
      "  The page arrived: (no answer in time; assume poisonous)",
    );
  });
  it("inline_callbacks.ts gets the same answers with inlineCallbacks and with await", async () => {
    const r = await example("inline_callbacks.ts");
    assertClean(r);
    assert.equal(
      r.stdout,
      [
        "With inlineCallbacks:",
        "  caught HTTPError 404 at the yield",
        "  the answer: They're highly poisonous.",
        "With async/await:",
        "  caught HTTPError 404 at the await",
        "  the answer: They're highly poisonous.",
        "",
      ].join("\n"),
    );
  });

  it("inline_callbacks.ts exits 1 through react when main fails", async () => {
    const closed = await serveSite();
    await closed.close(); // nothing listens there any more
    const r = await example("inline_callbacks.ts", [closed.url]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, "With inlineCallbacks:\n");
    assert.notEqual(r.stderr, "");
  });

  it("request_tracing.ts tags every line with its own request's id, from coroutines and delayed calls", async () => {
    const r = await example("request_tracing.ts");
    assertClean(r);
    const lines = r.stdout.trimEnd().split("\n");
    const steps = [
      "fetching",
      "got",
      "in a delayed call",
      "in deferLater",
      "done",
    ];
    for (
      const [id, path] of [["request 1", "/recipes"], ["request 2", "/guests"]]
    ) {
      const mine = lines.filter((l) => l.includes(`${path}:`));
      assert.deepEqual(
        mine.map((l) => l.startsWith(`[${id}] ${path}: `)),
        steps.map(() => true),
        r.stdout,
      );
      assert.deepEqual(
        mine.map((l) => steps.find((s) => l.includes(`: ${s}`))),
        steps,
      );
    }
    assert.ok(lines.includes("[no request] both requests started"), r.stdout);
    assert.equal(lines.length, 11, r.stdout);
  });

  it("progress_ticker.ts ticks while the slow page downloads, then stops the ticker", async () => {
    const r = await example("progress_ticker.ts");
    assertClean(r);
    const lines = r.stdout.trimEnd().split("\n");
    const ticks = lines.slice(0, -2);
    assert.ok(ticks.length >= 1);
    ticks.forEach((line, i) => {
      assert.equal(line, `Still waiting for the page... (tick ${i + 1})`);
    });
    assert.equal(
      lines.at(-2),
      `The page arrived after ${ticks.length} ticks: Sorry to keep you waiting.`,
    );
    assert.equal(lines.at(-1), "The ticker has stopped.");
  });
});

describe("the demo, main.ts", () => {
  it("runs the three programs in turn under headings, then the email program, and exits 0", async () => {
    const r = await example("main.ts");
    assertClean(r);
    const first = r.stdout.indexOf("=== 1.");
    const second = r.stdout.indexOf("=== 2.");
    const third = r.stdout.indexOf("=== 3.");
    assert.ok(0 < first && first < second && second < third, r.stdout);
    assert.ok(r.stdout.slice(first, second).includes(printed));
    assert.ok(
      r.stdout.slice(second, third).includes(frontPage.toLowerCase()),
    );
    const fourth = r.stdout.indexOf("=== 4.");
    assert.ok(third < fourth, r.stdout);
    assert.ok(r.stdout.slice(third, fourth).includes(notFound));
    assert.match(
      r.stdout.slice(fourth),
      /\nSent: Message accepted for delivery as message 1\n/,
    );
  });
});
