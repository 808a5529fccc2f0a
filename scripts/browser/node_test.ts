/**
 * A small browser implementation of `node:test` for scripts/test_browser.ts:
 * `describe`/`it`/`test` (with `.skip`/`.todo`, `{ skip, todo }` options,
 * async bodies and done callbacks), `before`/`after`/`beforeEach`/
 * `afterEach`, and a context with `skip()`/`todo()`. Tests are collected
 * while the bundle loads (each file under {@linkcode _file}), then
 * {@linkcode _run} runs them in order and returns one result per leaf test.
 *
 * @module
 */

type Body = (t: TestContext, done?: (err?: unknown) => void) => unknown;
type Hook = () => unknown;

/** What a test or suite may be given, as in node:test. */
export interface TestOptions {
  skip?: boolean | string;
  todo?: boolean | string;
  timeout?: number;
}

/** One leaf test's outcome. */
export interface Result {
  file: string;
  name: string;
  status: "pass" | "fail" | "skip" | "todo";
  reason?: string;
  error?: string;
}

interface Leaf {
  kind: "test";
  name: string;
  fn: Body | undefined;
  opts: TestOptions;
}

interface Suite {
  kind: "suite";
  name: string;
  file: string;
  opts: TestOptions;
  children: (Leaf | Suite)[];
  before: Hook[];
  after: Hook[];
  beforeEach: Hook[];
  afterEach: Hook[];
}

const newSuite = (name: string, file: string, opts: TestOptions): Suite => ({
  kind: "suite",
  name,
  file,
  opts,
  children: [],
  before: [],
  after: [],
  beforeEach: [],
  afterEach: [],
});

const root = newSuite("", "", {});
let current = root;
// A file's top-level tests and hooks live in a suite of their own, so that
// one file's before/after hooks do not reach another's tests.
let fileSuite = root;
// Per file: test names (full, " > "-joined) skipped in the browser, by reason.
let skips: [RegExp, string][] = [];
const DEFAULT_TIMEOUT_MS = 60_000;

/** Starts collecting the tests of `file`; `skip` names tests not to run. */
export function _file(file: string, skip: [RegExp, string][] = []): void {
  fileSuite = newSuite("", file, {});
  root.children.push(fileSuite);
  current = fileSuite;
  skips = skip;
  fileSkips.set(fileSuite, skip);
}
const fileSkips = new Map<Suite, [RegExp, string][]>();

type Args = [string | Body | TestOptions | undefined, ...unknown[]];

function parse(args: Args): { name: string; opts: TestOptions; fn?: Body } {
  let name = "<anonymous>";
  let opts: TestOptions = {};
  let fn: Body | undefined;
  for (const a of args) {
    if (typeof a === "string") name = a;
    else if (typeof a === "function") fn = a as Body;
    else if (a && typeof a === "object") opts = a as TestOptions;
  }
  if (name === "<anonymous>" && fn?.name) name = fn.name;
  return { name, opts, ...(fn ? { fn } : {}) };
}

function addSuite(args: Args, extra: TestOptions = {}): void {
  const { name, opts, fn } = parse(args);
  const suite = newSuite(name, current.file, { ...opts, ...extra });
  current.children.push(suite);
  const outer = current;
  current = suite;
  try {
    const r = fn?.(context(suite.name));
    if (r && typeof (r as Promise<unknown>).then === "function") {
      throw new Error(`describe("${name}") must not be async in the browser`);
    }
  } finally {
    current = outer;
  }
}

function addTest(args: Args, extra: TestOptions = {}): void {
  const { name, opts, fn } = parse(args);
  current.children.push({
    kind: "test",
    name,
    fn,
    opts: { ...opts, ...extra },
  });
}

/** node:test's `describe`. */
export const describe = Object.assign(
  (...args: Args): void => addSuite(args),
  {
    skip: (...args: Args): void => addSuite(args, { skip: true }),
    todo: (...args: Args): void => addSuite(args, { todo: true }),
    only: (...args: Args): void => addSuite(args),
  },
);

/** node:test's `it`. */
export const it = Object.assign((...args: Args): void => addTest(args), {
  skip: (...args: Args): void => addTest(args, { skip: true }),
  todo: (...args: Args): void => addTest(args, { todo: true }),
  only: (...args: Args): void => addTest(args),
});

/** node:test's `test` (the same as `it` here). */
export const test = it;
/** node:test's `suite` (the same as `describe`). */
export const suite = describe;

/** node:test's `before`: runs once before the tests of the current suite. */
export function before(fn: Hook): void {
  current.before.push(fn);
}
/** node:test's `after`: runs once after the tests of the current suite. */
export function after(fn: Hook): void {
  current.after.push(fn);
}
/** node:test's `beforeEach`. */
export function beforeEach(fn: Hook): void {
  current.beforeEach.push(fn);
}
/** node:test's `afterEach`. */
export function afterEach(fn: Hook): void {
  current.afterEach.push(fn);
}

class Skip {
  constructor(readonly status: "skip" | "todo", readonly reason: string) {}
}

/** The `t` a test body receives. */
export interface TestContext {
  name: string;
  skip(reason?: string): void;
  todo(reason?: string): void;
  diagnostic(message: string): void;
}

let pendingSkip: Skip | undefined;

function context(name: string): TestContext {
  return {
    name,
    skip: (reason = "") => {
      pendingSkip = new Skip("skip", reason);
    },
    todo: (reason = "") => {
      pendingSkip = new Skip("todo", reason);
    },
    diagnostic: () => {},
  };
}

function show(e: unknown): string {
  if (e instanceof Error) {
    return e.stack?.includes(e.message)
      ? e.stack
      : `${e.name}: ${e.message}\n${e.stack ?? ""}`;
  }
  return String(e);
}

async function call(
  fn: () => unknown,
  ms: number,
  what: string,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(fn),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} timed out after ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function runBody(fn: Body, t: TestContext): unknown {
  if (fn.length < 2) return fn(t);
  return new Promise<void>((resolve, reject) => {
    const r = fn(t, (err?: unknown) => (err ? reject(err) : resolve()));
    if (r && typeof (r as Promise<unknown>).then === "function") {
      (r as Promise<unknown>).then(undefined, reject);
    }
  });
}

function leaves(s: Suite | Leaf, path: string[]): string[][] {
  if (s.kind === "test") return [[...path, s.name]];
  const p = s.name ? [...path, s.name] : path;
  const all = s.children.flatMap((c) => leaves(c, p));
  return all;
}

async function runSuite(
  s: Suite,
  path: string[],
  eachBefore: Hook[],
  eachAfter: Hook[],
  out: Result[],
  onResult: (r: Result) => void,
  skip?: Skip,
): Promise<void> {
  const file = s.file;
  const fileSkip = fileSkips.get(s);
  if (fileSkip) skips = fileSkip;
  const p = s.name ? [...path, s.name] : path;
  const emit = (r: Result): void => {
    out.push(r);
    onResult(r);
  };
  if (!skip && s.opts.skip) {
    skip = new Skip("skip", typeof s.opts.skip === "string" ? s.opts.skip : "");
  }
  if (!skip && s.opts.todo) {
    skip = new Skip("todo", typeof s.opts.todo === "string" ? s.opts.todo : "");
  }
  let hookError: unknown;
  if (!skip) {
    for (const h of s.before) {
      try {
        await call(h, DEFAULT_TIMEOUT_MS, "before hook");
      } catch (e) {
        hookError = e;
        break;
      }
    }
  }
  const beforeAll = [...eachBefore, ...s.beforeEach];
  const afterAll = [...s.afterEach, ...eachAfter];
  for (const c of s.children) {
    if (c.kind === "suite") {
      await runSuite(c, p, beforeAll, afterAll, out, onResult, skip);
      continue;
    }
    const name = [...p, c.name].join(" > ");
    if (hookError !== undefined) {
      emit({
        file,
        name,
        status: "fail",
        error: `before hook failed: ${show(hookError)}`,
      });
      continue;
    }
    const listed = skips.find(([re]) => re.test(name));
    const own = c.opts.skip
      ? new Skip("skip", typeof c.opts.skip === "string" ? c.opts.skip : "")
      : c.opts.todo
      ? new Skip("todo", typeof c.opts.todo === "string" ? c.opts.todo : "")
      : listed
      ? new Skip("skip", `in the browser: ${listed[1]}`)
      : undefined;
    const sk = skip ?? own;
    if (sk) {
      emit({ file, name, status: sk.status, reason: sk.reason });
      continue;
    }
    pendingSkip = undefined;
    let error: unknown;
    let failed = false;
    try {
      for (const h of beforeAll) {
        await call(h, DEFAULT_TIMEOUT_MS, "beforeEach hook");
      }
      if (c.fn) {
        const fn = c.fn;
        await call(
          () => runBody(fn, context(c.name)),
          c.opts.timeout ?? DEFAULT_TIMEOUT_MS,
          "test",
        );
      }
    } catch (e) {
      failed = true;
      error = e;
    }
    for (const h of afterAll) {
      try {
        await call(h, DEFAULT_TIMEOUT_MS, "afterEach hook");
      } catch (e) {
        if (!failed) {
          failed = true;
          error = e;
        }
      }
    }
    const ps = pendingSkip as Skip | undefined;
    if (failed) emit({ file, name, status: "fail", error: show(error) });
    else if (ps) emit({ file, name, status: ps.status, reason: ps.reason });
    else emit({ file, name, status: "pass" });
  }
  if (!skip) {
    for (const h of s.after) {
      try {
        await call(h, DEFAULT_TIMEOUT_MS, "after hook");
      } catch (e) {
        emit({
          file,
          name: `${p.join(" > ")} (after hook)`,
          status: "fail",
          error: show(e),
        });
      }
    }
  }
}

/** Runs every collected test; `onResult` hears each leaf as it ends. */
export async function _run(onResult: (r: Result) => void): Promise<Result[]> {
  const out: Result[] = [];
  void leaves;
  await runSuite(root, [], [], [], out, onResult);
  return out;
}
