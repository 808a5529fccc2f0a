/**
 * Checking the arguments of `listenTCP`, `connectTCP` and the TCP endpoints
 * before any I/O starts, and the default listen backlog.
 *
 * Each check returns the error to fail the Deferred with (a `TypeError` for
 * a value of the wrong kind, a `RangeError` for a number out of range),
 * naming the option and the value, or `undefined` when the value is good.
 * None coerces: `"5"`, `[5]` and `true` are not numbers.
 *
 * @module
 */

/**
 * @internal A value as an error message shows it: bounded, never coerced;
 * an instance of a class by its class name. (web-client's `_options.ts`
 * has its own `show`: a package reaches another only through its public
 * exports, and this one is not worth a public entry.)
 */
export function _show(value: unknown): string {
  let s: string;
  if (typeof value === "string") s = JSON.stringify(value);
  else if (typeof value === "bigint") s = `${value}n`;
  else if (typeof value === "function") s = "a function";
  else if (typeof value === "symbol") s = value.toString();
  else if (typeof value !== "object" || value === null) s = String(value);
  else if (Array.isArray(value) || isPlain(value)) {
    try {
      s = JSON.stringify(value) ?? "an object";
    } catch {
      s = Array.isArray(value) ? "an array" : "an object";
    }
  } else s = `a ${value.constructor?.name ?? "object"}`;
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isPlain(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** @internal An integer port number from `min` to 65535. */
export function _checkPort(
  action: string,
  name: string,
  port: unknown,
  min = 0,
): Error | undefined {
  const want = `${name} must be an integer from ${min} to 65535`;
  if (typeof port !== "number") {
    return new TypeError(`Cannot ${action}: ${want}, not ${_show(port)}`);
  }
  if (!Number.isInteger(port) || port < min || port > 65535) {
    return new RangeError(`Cannot ${action}: ${want}, not ${_show(port)}`);
  }
  return undefined;
}

const IPV4 =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** @internal Whether `s` is an IPv6 address (optionally with a `%zone`). */
export function _isIPv6(s: string): boolean {
  const zone = s.indexOf("%");
  const addr = zone === -1 ? s : s.slice(0, zone);
  if (zone !== -1 && !/^[A-Za-z0-9_.-]+$/.test(s.slice(zone + 1))) {
    return false;
  }
  let groups = addr.split(":");
  if (groups.length < 3 || groups.length > 9) return false;
  const last = groups[groups.length - 1] as string;
  let wanted = 8;
  if (last.includes(".")) {
    if (!IPV4.test(last)) return false;
    groups = groups.slice(0, -1);
    wanted = 6;
  }
  const gap = addr.indexOf("::");
  if (gap !== addr.lastIndexOf("::")) return false;
  let filled = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as string;
    if (g === "") {
      // Empty groups only at a "::" (at the ends it takes two).
      if (gap === -1) return false;
      continue;
    }
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return false;
    filled++;
  }
  return gap === -1 ? filled === wanted : filled < wanted;
}

/** @internal Whether `s` is an IPv4 address, an IPv6 address or a DNS name. */
export function _isHost(s: string): boolean {
  if (s.length === 0 || s.length > 255) return false;
  if (IPV4.test(s) || _isIPv6(s)) return true;
  const name = s.endsWith(".") ? s.slice(0, -1) : s;
  return name.length > 0 && name.split(".").every((l) => LABEL.test(l));
}

/** @internal A host name or IP address: a non-empty, well-formed string. */
export function _checkHost(
  action: string,
  name: string,
  host: unknown,
): Error | undefined {
  const want = `${name} must be a host name or an IP address`;
  if (typeof host !== "string") {
    return new TypeError(`Cannot ${action}: ${want}, not ${_show(host)}`);
  }
  if (!_isHost(host)) {
    return new TypeError(`Cannot ${action}: ${want}, not ${_show(host)}`);
  }
  return undefined;
}

/** @internal `opts` is absent or an object. */
export function _checkOptions(
  action: string,
  opts: unknown,
): Error | undefined {
  if (opts === undefined || (typeof opts === "object" && opts !== null)) {
    return undefined;
  }
  return new TypeError(
    `Cannot ${action}: the options must be an object, not ${_show(opts)}`,
  );
}

/** @internal A factory has the methods listening and connecting call. */
export function _checkFactory(
  action: string,
  factory: unknown,
): Error | undefined {
  const f = factory as Record<string, unknown> | null | undefined;
  if (
    typeof f === "object" && f !== null &&
    typeof f.buildProtocol === "function" && typeof f.doStart === "function" &&
    typeof f.doStop === "function"
  ) return undefined;
  return new TypeError(
    `Cannot ${action}: the factory must be a Factory (with buildProtocol, doStart and doStop), not ${
      _show(factory)
    }`,
  );
}

/** @internal The first error of `checks`, which are run in order. */
export function _firstError(
  ...checks: Array<() => Error | undefined>
): Error | undefined {
  for (const check of checks) {
    const e = check();
    if (e !== undefined) return e;
  }
  return undefined;
}

/** @internal listenTCP's arguments, checked before anything starts. */
export function _checkListen(
  port: unknown,
  factory: unknown,
  opts: unknown,
): Error | undefined {
  const action = `listen on port ${_show(port)}`;
  const o = opts as { interface?: unknown; backlog?: unknown } | undefined;
  return _firstError(
    () => _checkPort(action, "the port", port),
    () => _checkOptions(action, opts),
    () => _checkFactory(action, factory),
    () =>
      o?.interface === undefined || o.interface === ""
        ? undefined
        : _checkHost(action, "the interface", o.interface),
    () => {
      const b: unknown = o?.backlog;
      if (b === undefined) return undefined;
      const want = "the backlog must be an integer from 0 to 2147483647";
      if (typeof b !== "number") {
        return new TypeError(`Cannot ${action}: ${want}, not ${_show(b)}`);
      }
      return Number.isInteger(b) && b >= 0 && b <= 2147483647
        ? undefined
        : new RangeError(`Cannot ${action}: ${want}, not ${_show(b)}`);
    },
  );
}

/** @internal connectTCP's arguments, checked before anything starts. */
export function _checkConnect(
  host: unknown,
  port: unknown,
  factory: unknown,
  opts: unknown,
): Error | undefined {
  const action = `connect to ${_show(host)} port ${_show(port)}`;
  const o = opts as { timeout?: unknown; bindAddress?: unknown } | undefined;
  return _firstError(
    () => _checkHost(action, "the host", host),
    () => _checkPort(action, "the port", port, 1),
    () => _checkOptions(action, opts),
    () => _checkFactory(action, factory),
    () => {
      const t: unknown = o?.timeout;
      if (t === undefined) return undefined;
      const want = "the timeout must be a finite number of seconds, 0 or more";
      if (typeof t !== "number") {
        return new TypeError(`Cannot ${action}: ${want}, not ${_show(t)}`);
      }
      return t >= 0 && t !== Infinity
        ? undefined
        : new RangeError(`Cannot ${action}: ${want}, not ${_show(t)}`);
    },
    () => {
      const b: unknown = o?.bindAddress;
      if (b === undefined) return undefined;
      if (typeof b !== "object" || b === null) {
        return new TypeError(
          `Cannot ${action}: the bindAddress must be { host, port? }, not ${
            _show(b)
          }`,
        );
      }
      const { host, port } = b as { host?: unknown; port?: unknown };
      return _checkHost(action, "the bindAddress host", host) ??
        (port === undefined
          ? undefined
          : _checkPort(action, "the bindAddress port", port));
    },
  );
}

// The largest backlog Linux kept before 4.1 (16 bits). Every kernel caps
// the backlog at its own limit (somaxconn; Bun at 512), so asking for this
// gets the system's limit without reading it: no /proc read, and no read
// permission to ask for on Deno.
const DEFAULT_BACKLOG = 65535;

/**
 * @internal The default listen backlog: as large as the system allows.
 * Asking for the limit lets a burst of connections queue instead of being
 * dropped (and, with data already sent, lost: see the reactor README).
 */
export function _defaultBacklog(): number {
  return DEFAULT_BACKLOG;
}
