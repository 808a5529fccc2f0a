/**
 * The runtime's own facilities, reached at the point of use: Node built-ins
 * come from `process.getBuiltinModule` (Node 20.16+, Deno, Bun), never from a
 * top-level `import`, so that the reactor also loads in a browser, where
 * they are missing and the code falls back to web APIs or fails cleanly.
 *
 * @module
 */

/** The part of a runtime's `process` that the reactor uses. */
export interface _Process {
  getBuiltinModule?(id: string): unknown;
  on?(event: string, listener: (signal: string) => void): unknown;
  off?(event: string, listener: (signal: string) => void): unknown;
  exit?(code?: number): never;
  exitCode?: number | string | undefined;
}

/** A timer handle: Node's, Deno's and Bun's can stop holding the process. */
export interface _Timer {
  ref?(): unknown;
  unref?(): unknown;
}

interface Timers {
  setTimeout(fn: () => void, ms: number): _Timer;
  clearTimeout(t: _Timer | undefined): void;
  setInterval(fn: () => void, ms: number): _Timer;
  clearInterval(t: _Timer | undefined): void;
  setImmediate?(fn: () => void): unknown;
}

/** The runtime's `process`, or undefined where there is none (a browser). */
export function _process(): _Process | undefined {
  return (globalThis as { process?: _Process }).process;
}

/**
 * A Node built-in module (`"node:net"`), or undefined where the runtime has
 * none: a browser, or Node before 20.16.
 */
export function _builtin<T>(id: string): T | undefined {
  return _process()?.getBuiltinModule?.(id) as T | undefined;
}

/** Why TCP fails in a runtime without `node:net`. */
export const _NO_TCP = "TCP is not available in this runtime";

/**
 * Timers whose handles can be unref'd: `node:timers` where the runtime has
 * it (Deno's global `setTimeout` returns a bare number), else the globals.
 */
export const _timers: Timers = _builtin<Timers>("node:timers") ??
  (globalThis as unknown as Timers);

/**
 * Runs `fn` on a later turn of the loop, after pending I/O: `setImmediate`
 * where the runtime has it, else a MessageChannel message (a macrotask, so
 * it cannot starve the page's own events either).
 */
export function _setImmediate(fn: () => void): void {
  if (_timers.setImmediate !== undefined) {
    _timers.setImmediate(fn);
    return;
  }
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    fn();
  };
  channel.port2.postMessage(undefined);
}

/**
 * A `node:net` Socket as public signatures name it, so that the published
 * types need no `@types/node`; the code itself uses Node's own type.
 */
export interface _Socket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  destroy(): unknown;
}
