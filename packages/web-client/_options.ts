/**
 * Checks of the options of every entry point, made before any I/O: a bad
 * value throws a TypeError (wrong type) or RangeError (right type, out of
 * range) that names the option and shows the value, and the callers turn
 * that into a failed Deferred. Header values are never shown: they may
 * carry credentials.
 *
 * @module
 */

import type { IReactorTime } from "@twixt/defer";

/**
 * A value as a message shows it: short, and never the whole of a long string.
 * (@twixt/reactor's `_tcp_options.ts` has the same formatter, `_show`, bound
 * at 80 characters: sharing it would need a new public entry of the reactor,
 * since a package reaches another only through its exports.)
 */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "bigint") text = `${value}n`;
  else if (typeof value === "function") text = "a function";
  else if (typeof value === "symbol") text = value.toString();
  else if (Array.isArray(value) || isPlain(value)) {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Array.isArray(value) ? "an array" : "an object";
    }
  } else if (typeof value === "object" && value !== null) {
    text = `a ${value.constructor?.name ?? "object"}`;
  } else text = String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isPlain(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function bad(
  Kind: typeof TypeError | typeof RangeError,
  name: string,
  value: unknown,
  want: string,
): never {
  throw new Kind(`Cannot use option ${name} ${show(value)}: ${want}`);
}

/** An options bag: undefined or null mean none; anything else must be an object. */
export function optionsBag<T extends object>(opts: unknown, what: string): T {
  if (opts === undefined || opts === null) return {} as T;
  if (typeof opts !== "object" || Array.isArray(opts)) {
    throw new TypeError(
      `Cannot use ${show(opts)} as the options of ${what}: not an object`,
    );
  }
  return opts as T;
}

/** Seconds: a finite number of 0 or more; 0 and absent (undefined, null) mean none. */
export function seconds(name: string, t: unknown): number {
  if (t === undefined || t === null) return 0;
  if (typeof t !== "number") {
    bad(TypeError, name, t, "it must be a number of seconds");
  }
  if (!(t >= 0 && t !== Infinity)) {
    bad(
      RangeError,
      name,
      t,
      "it must be a finite number of seconds, 0 or more",
    );
  }
  return t;
}

/** A whole number of 0 or more, or absent. */
export function count(name: string, n: unknown): number | undefined {
  if (n === undefined || n === null) return undefined;
  if (typeof n !== "number") bad(TypeError, name, n, "it must be a number");
  if (!(Number.isInteger(n) && n >= 0)) {
    bad(RangeError, name, n, "it must be a whole number of 0 or more");
  }
  return n;
}

/** A boolean, or absent. */
export function flag(name: string, b: unknown): boolean | undefined {
  if (b === undefined || b === null) return undefined;
  if (typeof b !== "boolean") {
    bad(TypeError, name, b, "it must be true or false");
  }
  return b;
}

// CR, LF and NUL end a header line or the request line: never let one through.
const LINE_BREAK = /[\r\n\0]/;

/** A string that goes into a header: no CR, LF or NUL. */
export function headerText(name: string, s: unknown): string | undefined {
  if (s === undefined || s === null) return undefined;
  if (typeof s !== "string") bad(TypeError, name, s, "it must be a string");
  if (LINE_BREAK.test(s)) {
    bad(TypeError, name, s, "it must not contain CR, LF or NUL");
  }
  return s;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Request headers as a `Headers`, or undefined for none. Names must be
 * tokens and values must hold no CR, LF or NUL; the message names the
 * header but never shows its value.
 */
export function headerList(given: unknown): Headers | undefined {
  if (given === undefined || given === null) return undefined;
  let pairs: Iterable<[string, unknown]>;
  if (given instanceof Headers) pairs = given.entries();
  else if (Array.isArray(given)) pairs = given as [string, unknown][];
  else if (typeof given === "object") {
    pairs = Object.entries(given as Record<string, unknown>);
  } else bad(TypeError, "headers", given, "it must be a record or a Headers");
  const out = new Headers();
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new TypeError(
        "Cannot use option headers: each entry must be a [name, value] pair",
      );
    }
    const [name, value] = pair as [unknown, unknown];
    if (typeof name !== "string" || !TOKEN.test(name)) {
      throw new TypeError(`Cannot send a header named ${show(name)}`);
    }
    if (typeof value !== "string") {
      throw new TypeError(
        `Cannot send header ${JSON.stringify(name)}: its value is not a string`,
      );
    }
    if (LINE_BREAK.test(value)) {
      throw new TypeError(
        `Cannot send header ${
          JSON.stringify(name)
        }: its value contains CR, LF or NUL`,
      );
    }
    out.append(name, value);
  }
  return out;
}

/** A clock: something with `callLater` and `seconds`, or absent. */
export function clock(name: string, r: unknown): IReactorTime | undefined {
  if (r === undefined || r === null) return undefined;
  const c = r as Partial<IReactorTime>;
  if (typeof c.callLater !== "function" || typeof c.seconds !== "function") {
    bad(TypeError, name, r, "it must be a reactor or a Clock (with callLater)");
  }
  return r as IReactorTime;
}
