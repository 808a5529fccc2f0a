/**
 * Closing TCP ports and connections when their reactor shuts down, as
 * Twisted's reactor does in its "during shutdown" phase.
 *
 * One trigger per reactor covers all its open ports and connections; it is
 * added with the first and removed with the last, so a reactor that has
 * served many connections holds no stale triggers.
 *
 * @module
 */

import type { TCPReactor } from "./tcp_interfaces.ts";

/** @internal Something the reactor must close when it shuts down. */
export interface _Closable {
  /** Closes at once; the returned promise settles when closed. */
  _shutdown(): Promise<void>;
}

interface Entry {
  items: Set<_Closable>;
  trigger: unknown;
  registered: boolean;
}

const entries = new WeakMap<object, Entry>();

/** @internal Closes `item` when `reactor` shuts down. */
export function _track(reactor: TCPReactor, item: _Closable): void {
  if (typeof reactor.addSystemEventTrigger !== "function") return;
  let entry = entries.get(reactor);
  if (entry === undefined) {
    entry = { items: new Set(), trigger: undefined, registered: false };
    entries.set(reactor, entry);
  }
  entry.items.add(item);
  if (!entry.registered) {
    const e = entry;
    e.registered = true;
    e.trigger = reactor.addSystemEventTrigger("during", "shutdown", () => {
      // The reactor consumes this trigger; items closing below must not
      // try to remove it again.
      e.registered = false;
      const closing = [...e.items].map((i) => i._shutdown());
      e.items.clear();
      return Promise.all(closing).then(() => undefined);
    });
  }
}

/** @internal Forgets `item` (it closed on its own). */
export function _untrack(reactor: TCPReactor, item: _Closable): void {
  const entry = entries.get(reactor);
  if (entry === undefined || !entry.items.delete(item)) return;
  if (entry.items.size === 0 && entry.registered) {
    entry.registered = false;
    reactor.removeSystemEventTrigger?.(entry.trigger);
  }
}

/** @internal What `reactor` would close at shutdown now (the clean-reactor check). */
export function _tracked(reactor: TCPReactor): _Closable[] {
  return [...(entries.get(reactor)?.items ?? [])];
}
