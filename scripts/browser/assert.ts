/**
 * `node:assert/strict` for the browser run of scripts/test_browser.ts: the
 * assertions the tests use (`equal`, `deepEqual`, `ok`, `throws`, `rejects`,
 * `match`, ...), with strict semantics (`Object.is`, prototypes compared).
 * `node:assert` maps here too; its `AssertionError` also matches the Error
 * named "AssertionError" that `@twixt/defer/testing` throws in a browser.
 *
 * @module
 */

/** A failed assertion, as node:assert's. */
export class AssertionError extends Error {
  readonly code = "ERR_ASSERTION";
  actual: unknown;
  expected: unknown;
  operator: string;
  constructor(
    opts: {
      message?: string;
      actual?: unknown;
      expected?: unknown;
      operator?: string;
    } = {},
  ) {
    super(opts.message ?? "Assertion failed");
    this.name = "AssertionError";
    this.actual = opts.actual;
    this.expected = opts.expected;
    this.operator = opts.operator ?? "";
  }
  static override [Symbol.hasInstance](e: unknown): boolean {
    return e instanceof Error && e.name === "AssertionError";
  }
}

function inspect(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return `[Function ${v.name || "anonymous"}]`;
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  try {
    const seen = new Set<unknown>();
    return JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === "bigint") return `${x}n`;
      if (x instanceof Map) return { Map: [...x] };
      if (x instanceof Set) return { Set: [...x] };
      if (x instanceof Uint8Array) return { Uint8Array: [...x] };
      if (x && typeof x === "object") {
        if (seen.has(x)) return "[Circular]";
        seen.add(x);
      }
      return x === undefined ? "undefined" : x;
    }) ?? String(v);
  } catch {
    return String(v);
  }
}

function fail(
  message: string | Error | undefined,
  fallback: string,
  actual?: unknown,
  expected?: unknown,
  operator?: string,
): never {
  if (message instanceof Error) throw message;
  throw new AssertionError({
    message: message ?? fallback,
    actual,
    expected,
    operator: operator ?? "fail",
  });
}

const tag = (x: unknown): string => Object.prototype.toString.call(x);

/** Node's strict deep equality, for the values tests compare. */
export function isDeepStrictEqual(
  a: unknown,
  b: unknown,
  seen = new Map<object, object>(),
): boolean {
  if (Object.is(a, b)) return true;
  if (
    typeof a !== "object" || typeof b !== "object" || a === null || b === null
  ) {
    return false;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (tag(a) !== tag(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  const eq = (x: unknown, y: unknown): boolean => isDeepStrictEqual(x, y, seen);
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof RegExp) {
    const r = b as RegExp;
    if (a.source !== r.source || a.flags !== r.flags) return false;
  }
  if (a instanceof Error) {
    const e = b as Error;
    if (a.message !== e.message || a.name !== e.name) return false;
  }
  if (
    a instanceof Number || a instanceof String || a instanceof Boolean ||
    a instanceof BigInt || a instanceof Symbol
  ) {
    if (!Object.is(a.valueOf(), (b as typeof a).valueOf())) return false;
  }
  if (ArrayBuffer.isView(a) || a instanceof ArrayBuffer) {
    const view = (x: ArrayBufferView | ArrayBuffer): Uint8Array =>
      x instanceof ArrayBuffer
        ? new Uint8Array(x)
        : new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    const x = view(a), y = view(b as ArrayBuffer);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    if (!(a instanceof ArrayBuffer)) return true;
  }
  if (Array.isArray(a) && a.length !== (b as unknown[]).length) return false;
  if (a instanceof Map) {
    const m = b as Map<unknown, unknown>;
    if (a.size !== m.size) return false;
    for (const [k, v] of a) {
      if (m.has(k)) {
        if (!eq(v, m.get(k))) return false;
      } else if (![...m].some(([k2, v2]) => eq(k, k2) && eq(v, v2))) {
        return false;
      }
    }
  }
  if (a instanceof Set) {
    const s = b as Set<unknown>;
    if (a.size !== s.size) return false;
    for (const v of a) {
      if (!s.has(v) && ![...s].some((w) => eq(v, w))) return false;
    }
  }
  const keys = (o: object): PropertyKey[] => [
    ...Object.keys(o),
    ...Object.getOwnPropertySymbols(o).filter((s) =>
      Object.prototype.propertyIsEnumerable.call(o, s)
    ),
  ];
  const ka = keys(a), kb = keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (
      !eq(
        (a as Record<PropertyKey, unknown>)[k],
        (b as Record<PropertyKey, unknown>)[k],
      )
    ) return false;
  }
  return true;
}

type Expected =
  | RegExp
  | ((e: unknown) => boolean)
  | (new (...args: never[]) => unknown)
  | Record<string, unknown>
  | Error;

function check(
  err: unknown,
  expected: Expected | string | undefined,
  message?: string | Error,
): void {
  if (expected === undefined || typeof expected === "string") return;
  if (expected instanceof RegExp) {
    if (expected.test(String(err))) return;
    fail(
      message,
      `The error does not match ${expected}: ${inspect(err)}`,
      err,
      expected,
      "throws",
    );
  }
  if (typeof expected === "function") {
    if (expected.prototype !== undefined && err instanceof expected) return;
    if (
      Object.prototype.isPrototypeOf.call(Error, expected) || expected === Error
    ) {
      fail(
        message,
        `The error is expected to be an instance of "${expected.name}". Received ${
          inspect(err)
        }`,
        err,
        expected,
        "throws",
      );
    }
    const ok = (expected as (e: unknown) => boolean)(err);
    if (ok === true) return;
    fail(
      message,
      `The validation function is expected to return "true". Received ${
        inspect(ok)
      }\n\nCaught error:\n\n${inspect(err)}`,
      err,
      expected,
      "throws",
    );
  }
  if (typeof expected === "object" && expected !== null) {
    for (const [k, want] of Object.entries(expected)) {
      const got = (err as Record<string, unknown> | null)?.[k];
      if (want instanceof RegExp && typeof got === "string") {
        if (want.test(got)) continue;
      } else if (isDeepStrictEqual(got, want)) continue;
      fail(
        message,
        `Expected values to be strictly deep-equal at "${k}": ${
          inspect(got)
        } !== ${inspect(want)}`,
        err,
        expected,
        "throws",
      );
    }
    if (expected instanceof Error) {
      for (const k of ["name", "message"] as const) {
        if ((err as Error)?.[k] !== expected[k]) {
          fail(
            message,
            `Expected the error's ${k} ${inspect((err as Error)?.[k])} to be ${
              inspect(expected[k])
            }`,
            err,
            expected,
            "throws",
          );
        }
      }
    }
  }
}

function ok(value: unknown, message?: string | Error): void {
  if (!value) {
    fail(
      message,
      `The expression evaluated to a falsy value: ${inspect(value)}`,
      value,
      true,
      "==",
    );
  }
}

const NO_THROW = Symbol("no throw");

/** The assertions, as node:assert/strict's default export. */
const assert = Object.assign(ok, {
  AssertionError,
  ok,
  equal(actual: unknown, expected: unknown, message?: string | Error): void {
    if (!Object.is(actual, expected)) {
      fail(
        message,
        `Expected values to be strictly equal:\n\n${inspect(actual)} !== ${
          inspect(expected)
        }\n`,
        actual,
        expected,
        "strictEqual",
      );
    }
  },
  notEqual(actual: unknown, expected: unknown, message?: string | Error): void {
    if (Object.is(actual, expected)) {
      fail(
        message,
        `Expected "actual" to be strictly unequal to: ${inspect(expected)}`,
        actual,
        expected,
        "notStrictEqual",
      );
    }
  },
  deepEqual(
    actual: unknown,
    expected: unknown,
    message?: string | Error,
  ): void {
    if (!isDeepStrictEqual(actual, expected)) {
      fail(
        message,
        `Expected values to be strictly deep-equal:\n+ actual - expected\n\n+ ${
          inspect(actual)
        }\n- ${inspect(expected)}\n`,
        actual,
        expected,
        "deepStrictEqual",
      );
    }
  },
  notDeepEqual(
    actual: unknown,
    expected: unknown,
    message?: string | Error,
  ): void {
    if (isDeepStrictEqual(actual, expected)) {
      fail(
        message,
        `Expected "actual" not to be strictly deep-equal to: ${
          inspect(expected)
        }`,
        actual,
        expected,
        "notDeepStrictEqual",
      );
    }
  },
  match(value: string, re: RegExp, message?: string | Error): void {
    if (typeof value !== "string" || !re.test(value)) {
      fail(
        message,
        `The input did not match the regular expression ${re}. Input:\n\n${
          inspect(value)
        }\n`,
        value,
        re,
        "match",
      );
    }
  },
  doesNotMatch(value: string, re: RegExp, message?: string | Error): void {
    if (typeof value !== "string" || re.test(value)) {
      fail(
        message,
        `The input was expected to not match the regular expression ${re}. Input:\n\n${
          inspect(value)
        }\n`,
        value,
        re,
        "doesNotMatch",
      );
    }
  },
  fail(message?: string | Error): never {
    return fail(message, "Failed");
  },
  throws(
    fn: () => unknown,
    expected?: Expected | string,
    message?: string | Error,
  ): void {
    let err: unknown = NO_THROW;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    if (err === NO_THROW) {
      fail(
        typeof expected === "string" ? expected : message,
        "Missing expected exception.",
        undefined,
        expected,
        "throws",
      );
    }
    check(err, expected, message);
  },
  doesNotThrow(fn: () => unknown, message?: string | Error): void {
    try {
      fn();
    } catch (e) {
      fail(
        message,
        `Got unwanted exception.\nActual message: "${(e as Error)?.message}"`,
        e,
        undefined,
        "doesNotThrow",
      );
    }
  },
  async rejects(
    input:
      | Promise<unknown>
      | PromiseLike<unknown>
      | (() => PromiseLike<unknown>),
    expected?: Expected | string,
    message?: string | Error,
  ): Promise<void> {
    let err: unknown = NO_THROW;
    try {
      await (typeof input === "function" ? input() : input);
    } catch (e) {
      err = e;
    }
    if (err === NO_THROW) {
      fail(
        typeof expected === "string" ? expected : message,
        "Missing expected rejection.",
        undefined,
        expected,
        "rejects",
      );
    }
    check(err, expected, message);
  },
  async doesNotReject(
    input: Promise<unknown> | (() => Promise<unknown>),
    message?: string | Error,
  ): Promise<void> {
    try {
      await (typeof input === "function" ? input() : input);
    } catch (e) {
      fail(
        message,
        `Got unwanted rejection.\nActual message: "${(e as Error)?.message}"`,
        e,
        undefined,
        "doesNotReject",
      );
    }
  },
  ifError(value: unknown): void {
    if (value !== null && value !== undefined) throw value;
  },
});
Object.assign(assert, {
  strictEqual: assert.equal,
  notStrictEqual: assert.notEqual,
  deepStrictEqual: assert.deepEqual,
  notDeepStrictEqual: assert.notDeepEqual,
  strict: assert,
});

export default assert;
export const strict = assert;
