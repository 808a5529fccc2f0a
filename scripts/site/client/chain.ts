/**
 * The chain explorer's model: a Deferred built from the tutorial's kinds of
 * step, fired, and traced. The explorer in the page (explorer.ts) and the
 * site's test (site_test.ts) both run the real `@twixt/defer` through
 * this module, so the test can compare what the page shows with what the
 * same chain does outside the browser.
 *
 * Each step's function is wrapped to record what it received and what it
 * returned or threw; a step whose side did not run (a callback while the
 * chain carries a Failure, an errback while it carries a result) records
 * nothing, and is shown as passed by.
 *
 * @module
 */
import {
  Deferred,
  describeDeferred,
  Failure,
  formatDeferred,
} from "../../../packages/defer/mod.ts";

/** The kinds of step the reader can add, from the tutorial's examples. */
export const STEPS = {
  lower: {
    label: "addCallback(lowerCaseContents)",
    method: "addCallback",
    code: "(page) => page.toLowerCase()",
  },
  print: {
    label: "addCallback(printContents)",
    method: "addCallback",
    code: "(page) => { console.log(page); return page; }",
  },
  recover: {
    label: "addErrback(errorHandler)",
    method: "addErrback",
    code: "(failure) => `recovered from: ${failure.getErrorMessage()}`",
  },
  both: {
    label: "addBoth(cleanUp)",
    method: "addBoth",
    code: "(resultOrFailure) => resultOrFailure",
  },
  throws: {
    label: "addCallback(parsePage), which throws",
    method: "addCallback",
    code: '() => { throw new SyntaxError("Not a page I know"); }',
  },
  nested: {
    label: "addCallback(fetchAnother), which returns a Deferred",
    method: "addCallback",
    code: "(page) => getPage(page + '/more')  // the inner Deferred",
  },
} as const;

/** A step's kind: a key of {@linkcode STEPS}. */
export type StepKind = keyof typeof STEPS;

/** How to fire the chain. */
export type Fire = "callback" | "errback" | "cancel";

/** What one step did when the chain ran. */
export interface StepTrace {
  /** The step's index in the chain. */
  step: number;
  /** The side that ran. */
  side: "callback" | "errback";
  /** What it received, shown. */
  input: string;
  /** What it returned, or threw (`threw`), shown. */
  output: string;
  /** Whether it threw. */
  threw: boolean;
}

/** The value the tutorial's page fetch would give, and its failure. */
export const PAGE = "Welcome to the Twixt LIBRARY";
/** The error the errback button fires with. */
export const NOT_FOUND = "404 Not Found";
/** The inner Deferred's result, when the reader fires it. */
export const INNER_PAGE = "More about MUSHROOMS";

/** Shows a value passed along the chain, with no Deferred numbers. */
export function show(v: unknown): string {
  if (v instanceof Failure) {
    const type = (v.value as Error | undefined)?.name ?? "Error";
    return `Failure(${type}: ${v.getErrorMessage()})`;
  }
  if (v instanceof Deferred) return "a Deferred (unfired)";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

/** A chain built from steps, that records what runs. */
export class Chain {
  /** The Deferred the reader fires. */
  readonly d: Deferred<string>;
  /** The Deferred a `nested` step returned, once it has run. */
  inner: Deferred<string> | undefined;
  /** What ran, in order. */
  readonly trace: StepTrace[] = [];
  readonly #listeners: ((t: StepTrace) => void)[] = [];

  constructor(readonly steps: readonly StepKind[]) {
    this.d = new Deferred<string>();
    steps.forEach((kind, i) => this.#add(kind, i));
  }

  /** Calls `fn` with each step as it runs. */
  onStep(fn: (t: StepTrace) => void): void {
    this.#listeners.push(fn);
  }

  #add(kind: StepKind, i: number): void {
    const record = (
      side: StepTrace["side"],
      input: unknown,
      run: () => unknown,
    ) => {
      let output: unknown;
      try {
        output = run();
      } catch (e) {
        this.#note({
          step: i,
          side,
          input: show(input),
          output: show(new Failure(e)),
          threw: true,
        });
        throw e;
      }
      this.#note({
        step: i,
        side,
        input: show(input),
        output: show(output),
        threw: false,
      });
      return output;
    };
    const d = this.d as Deferred<unknown>;
    switch (kind) {
      case "lower":
        d.addCallback(function lowerCaseContents(page) {
          return record("callback", page, () => String(page).toLowerCase());
        });
        break;
      case "print":
        d.addCallback(function printContents(page) {
          return record("callback", page, () => page);
        });
        break;
      case "recover":
        d.addErrback(function errorHandler(f: Failure) {
          return record(
            "errback",
            f,
            () => `recovered from: ${f.getErrorMessage()}`,
          );
        });
        break;
      case "both":
        d.addBoth(function cleanUp(r) {
          return record(
            r instanceof Failure ? "errback" : "callback",
            r,
            () => r,
          );
        });
        break;
      case "throws":
        d.addCallback(function parsePage(page) {
          return record("callback", page, () => {
            throw new SyntaxError("Not a page I know");
          });
        });
        break;
      case "nested":
        d.addCallback((page) =>
          record("callback", page, () => (this.inner = new Deferred<string>()))
        );
        break;
    }
  }

  #note(t: StepTrace): void {
    this.trace.push(t);
    for (const fn of this.#listeners) fn(t);
  }

  /** Fires the chain: callback with {@linkcode PAGE}, errback, or cancel. */
  fire(how: Fire): void {
    if (how === "callback") this.d.callback(PAGE);
    else if (how === "errback") this.d.errback(new Error(NOT_FOUND));
    else this.d.cancel();
  }

  /** Fires the inner Deferred a `nested` step returned. */
  fireInner(): void {
    this.inner?.callback(INNER_PAGE);
  }

  /** The Deferred's state and result, as describeDeferred gives them. */
  state(): { state: string; result: string; line: string; next: number } {
    const about = describeDeferred(this.d as Deferred<unknown>);
    return {
      // While the chain holds its entries, one per step, in order.
      next: about.entries.length === this.steps.length ? about.next : -1,
      state: about.state,
      result: about.waitingOn
        ? "waiting on the inner Deferred"
        : about.called
        ? show(about.result)
        : "(not fired)",
      line: formatDeferred(this.d as Deferred<unknown>).replace(/#\d+/g, "#N"),
    };
  }

  /** Handles a Failure left at the end, so it is not reported as unhandled. */
  settle(): void {
    this.d.addErrback(() => {});
  }
}

/** The scripted runs the site's test clicks through, and compares. */
export const SCENARIOS: {
  name: string;
  steps: StepKind[];
  fire: Fire;
  inner?: boolean;
}[] = [
  {
    name: "a success chain",
    steps: ["lower", "print", "both"],
    fire: "callback",
  },
  {
    name: "an errback chain that recovers",
    steps: ["lower", "recover", "print"],
    fire: "errback",
  },
  {
    name: "a callback that throws",
    steps: ["throws", "lower", "recover", "both"],
    fire: "callback",
  },
  {
    name: "a nested Deferred",
    steps: ["nested", "lower", "print"],
    fire: "callback",
    inner: true,
  },
  { name: "a cancel", steps: ["lower", "recover", "both"], fire: "cancel" },
];
