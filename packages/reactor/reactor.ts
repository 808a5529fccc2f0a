/**
 * The reactor: Twisted's event loop object, over the runtime's own loop.
 *
 * JavaScript always has an event loop, so the reactor does not drive one:
 * timed calls are kept in one heap with a single runtime timer armed for
 * the earliest, and I/O is the runtime's. What the reactor adds is
 * Twisted's shape: `run()` with startup triggers and `callWhenRunning`,
 * `stop()` with shutdown triggers in three phases (or `crash()`, without
 * them), and the guarantee that after `stop()` or `crash()` nothing it
 * holds keeps the process alive.
 *
 * @module
 */

import {
  captureContext,
  type ContextSnapshot,
  Deferred,
  Failure,
  type IReactorTime,
  logError,
} from "@twixt/defer";
import { type DelayedCall, TimedCalls } from "./delayed_call.ts";
import { ReactorAlreadyRunning, ReactorNotRunning } from "./errors.ts";
import type { ClientFactory, Factory, Protocol } from "./protocol.ts";
import {
  connectTCP,
  type ConnectTCPOptions,
  listenTCP,
  type ListenTCPOptions,
} from "./tcp.ts";
import type { IListeningPort } from "./tcp_interfaces.ts";
import { _withTLS } from "./_tls_hook.ts";
import type { ITLSContextFactory } from "./ssl.ts";
import { isThenable } from "./_thenable.ts";
import { _process, _timers } from "./_node.ts";

// Node's timers where the runtime has them (their handles can be unref'd).
const { clearInterval, clearTimeout, setInterval, setTimeout } = _timers;

/**
 * The phases of a system event, in the order they run.
 *
 * @example Usage
 * ```ts
 * import { Reactor, type SystemEventPhase } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const r = new Reactor();
 * const log: SystemEventPhase[] = [];
 * for (const phase of ["after", "during", "before"] as const) {
 *   r.addSystemEventTrigger(phase, "reload", () => log.push(phase));
 * }
 * r.fireSystemEvent("reload");
 * assert.deepEqual(log, ["before", "during", "after"]);
 * ```
 */
export type SystemEventPhase = "before" | "during" | "after";

/**
 * The handle {@linkcode Reactor.addSystemEventTrigger} returns, for
 * {@linkcode Reactor.removeSystemEventTrigger}.
 *
 * @example Usage
 * ```ts
 * import { Reactor, type SystemEventTrigger } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const r = new Reactor();
 * const id: SystemEventTrigger = r.addSystemEventTrigger("before", "shutdown", () => {});
 * assert.deepEqual([id.phase, id.event], ["before", "shutdown"]);
 * r.removeSystemEventTrigger(id);
 * ```
 */
export interface SystemEventTrigger {
  /** The event it is for, e.g. `"shutdown"`. */
  readonly event: string;
  /** The phase it runs in. */
  readonly phase: SystemEventPhase;
}

/**
 * The core of a reactor, as in Twisted's `IReactorCore`: running and
 * stopping, and system event triggers.
 *
 * @example Usage
 * ```ts
 * import { type IReactorCore, reactor } from "@twixt/reactor";
 *
 * function closeOnShutdown(core: IReactorCore, close: () => Promise<void>): void {
 *   const id = core.addSystemEventTrigger("during", "shutdown", close);
 *   core.removeSystemEventTrigger(id);
 * }
 * closeOnShutdown(reactor, async () => {});
 * ```
 */
export interface IReactorCore {
  /** True from the startup "during" phase to the shutdown "during" phase. */
  readonly running: boolean;
  /** Starts the reactor; the promise resolves after it has shut down. */
  run(): Promise<void>;
  /** Shuts the reactor down; throws {@linkcode ReactorNotRunning} if it is not running. */
  stop(): void;
  /** Stops the reactor at once, without running the shutdown triggers. */
  crash(): void;
  /** Calls `fn(...args)` once the reactor is running (at once if it is). */
  callWhenRunning<A extends unknown[]>(
    fn: (...args: A) => unknown,
    ...args: A
  ): SystemEventTrigger | undefined;
  /** Registers `fn(...args)` to run at `phase` of `event`. */
  addSystemEventTrigger<A extends unknown[]>(
    phase: SystemEventPhase,
    event: string,
    fn: (...args: A) => unknown,
    ...args: A
  ): SystemEventTrigger;
  /** Unregisters a trigger. */
  removeSystemEventTrigger(id: SystemEventTrigger): void;
  /** Runs the triggers of `event`, phase by phase. */
  fireSystemEvent(event: string): void;
}

/**
 * @internal `callWhenRunning` of any reactor core (Reactor, MemoryReactor):
 * `fn(...args)` now if `r` is running, else an "after startup" trigger.
 */
export function _callWhenRunning<A extends unknown[]>(
  r: IReactorCore,
  fn: (...args: A) => unknown,
  args: A,
): SystemEventTrigger | undefined {
  if (r.running) {
    fn(...args);
    return undefined;
  }
  return r.addSystemEventTrigger("after", "startup", fn, ...args);
}

/**
 * Both halves of a reactor, as the rest of Twixt needs it.
 *
 * @example Usage
 * ```ts
 * import { type IReactor, Reactor } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * function stopIn(r: IReactor, seconds: number): void {
 *   r.callLater(seconds, () => r.stop());
 * }
 * const r = new Reactor();
 * stopIn(r, 0.01);
 * await r.run();
 * assert.equal(r.running, false);
 * ```
 */
export type IReactor = IReactorTime & IReactorCore;

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => unknown;

class Trigger implements SystemEventTrigger {
  fired = false;
  // The async context it was added in, which it runs in.
  readonly context: ContextSnapshot | undefined = captureContext();
  constructor(
    readonly event: string,
    readonly phase: SystemEventPhase,
    readonly fn: AnyFn,
    readonly args: unknown[],
  ) {}

  run(): unknown {
    const context = this.context;
    return context === undefined
      ? this.fn(...this.args)
      : context.run(this.fn, ...this.args);
  }
}

type Phases = Record<SystemEventPhase, Set<Trigger>>;

const PHASES: readonly SystemEventPhase[] = ["before", "during", "after"];

// setTimeout's longest delay; a later call re-arms the timer on waking.
const MAX_TIMER_MS = 2 ** 31 - 1;

const IDLE = 0;
const STARTING = 1;
const RUNNING = 2;
const STOPPING = 3;

// Read once: on Node, `performance.timeOrigin` is a getter into C++.
const TIME_ORIGIN = performance.timeOrigin;

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };
// Every reactor's signal listener, so that a running reactor's listener
// does not count as the program's own SIGINT handler for another.
const REACTOR_LISTENERS = new WeakSet<object>();

// The signals a reactor starting now listens for. As in Twisted, SIGINT
// only when the program has no SIGINT handler of its own (a debugger's,
// or one that means to decide itself what Ctrl-C does).
function signalsToHandle(): string[] {
  const process = _process() as
    | { listeners?(event: string): unknown[] }
    | undefined;
  const own = (process?.listeners?.("SIGINT") ?? []).filter((l) =>
    !REACTOR_LISTENERS.has(l as object)
  );
  return SIGNALS.filter((s) => s !== "SIGINT" || own.length === 0);
}

/**
 * A reactor: time (`seconds`, `callLater`) and the core (`run`, `stop`,
 * system event triggers). Programs use the shared {@linkcode reactor};
 * tests may make their own.
 *
 * Time is `seconds()`: seconds since the epoch, like Twisted's (which is
 * `time.time()`), but read from the monotonic `performance` clock
 * (`performance.timeOrigin + performance.now()`), so it never goes
 * backwards when the system clock is changed.
 *
 * `callLater` works whether or not the reactor is running, since the
 * runtime's loop drives it: a pending call keeps the process alive like a
 * `setTimeout` would. `run()` keeps the process alive until `stop()`;
 * `stop()` runs the shutdown triggers, then releases the calls still
 * pending, so a finished program exits on its own. SIGINT and SIGTERM stop
 * a running reactor through its shutdown triggers.
 *
 * @example Usage
 * ```ts
 * import { Reactor } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const r = new Reactor();
 * const log: string[] = [];
 * r.addSystemEventTrigger("before", "shutdown", () => log.push("shutting down"));
 * r.callWhenRunning(() => log.push("running"));
 * r.callLater(0.01, () => r.stop());
 * await r.run();
 * assert.deepEqual(log, ["running", "shutting down"]);
 * ```
 */
export class Reactor implements IReactorTime, IReactorCore {
  readonly #calls: TimedCalls;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #timerAt = 0;
  #timerRefed = true;
  #state = IDLE;
  #running = false;
  #events = new Map<string, Phases>();
  #keepAlive: ReturnType<typeof setInterval> | undefined = undefined;
  #stopped: (() => void) | undefined = undefined;
  // The signals this reactor listens for while it runs.
  #signals: string[] = [];
  #shutdownTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  // Whether this run's shutdown has reached its "during" phase.
  #shutdownDuring = false;
  // Bumped by run() and crash(): a startup or shutdown still in progress
  // for an earlier run stops before its next phase.
  #epoch = 0;

  /** Creates a reactor that is not running and has no calls. */
  constructor() {
    this.#calls = new TimedCalls(
      () => this.seconds(),
      () => this.#arm(),
      () => this.#syncRef(),
    );
  }

  /**
   * Whether the reactor is running: true from the startup "during" phase
   * until the shutdown "during" phase.
   */
  get running(): boolean {
    return this.#running;
  }

  /**
   * The current time: seconds since the epoch, from the monotonic clock.
   *
   * @example Usage
   * ```ts
   * import { reactor } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * assert.ok(Math.abs(reactor.seconds() - Date.now() / 1000) < 60);
   * ```
   */
  seconds(): number {
    return (TIME_ORIGIN + performance.now()) / 1000;
  }

  /**
   * Calls `fn(...args)` `delay` seconds from now. Calls due at the same
   * time run in the order they were scheduled; a call scheduled while
   * others run waits for the next turn of the loop. If `fn` throws, the
   * error is logged (through `@twixt/defer`'s failure logger) and the
   * reactor goes on.
   *
   * The call runs in the async context (`AsyncLocalStorage`,
   * `AsyncContext`) current when it was scheduled, as a `setTimeout`
   * callback would, though all calls share one runtime timer.
   *
   * @param delay Seconds from now: a finite number, 0 or more.
   * @returns The scheduled call, to cancel, delay or reset it.
   * @throws {RangeError} if `delay` is negative, NaN or infinite.
   * @throws {TypeError} if `delay` is not a number, or `fn` is not a
   * function.
   * @example Usage
   * ```ts
   * import { reactor } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * const greeting = await new Promise((resolve) => reactor.callLater(0.01, resolve, "hello"));
   * assert.equal(greeting, "hello");
   * ```
   */
  callLater<A extends unknown[]>(
    delay: number,
    fn: (...args: A) => unknown,
    ...args: A
  ): DelayedCall {
    return this.#calls.schedule(delay, fn, args);
  }

  /**
   * The calls scheduled and not yet run or cancelled, earliest first.
   *
   * @example Usage
   * ```ts
   * import { Reactor } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * const r = new Reactor();
   * const call = r.callLater(60, () => {});
   * assert.deepEqual(r.getDelayedCalls(), [call]);
   * call.cancel();
   * ```
   */
  getDelayedCalls(): DelayedCall[] {
    return this.#calls.calls();
  }

  /**
   * Calls `fn(...args)` once the reactor runs: at once if it is running,
   * otherwise as an "after startup" trigger.
   *
   * @returns The trigger's handle, or `undefined` if `fn` ran at once.
   * @example Usage
   * ```ts
   * import { Reactor } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * const r = new Reactor();
   * let started = false;
   * r.callWhenRunning(() => { started = true; r.stop(); });
   * const done = r.run();
   * assert.equal(started, true);
   * await done;
   * ```
   */
  callWhenRunning<A extends unknown[]>(
    fn: (...args: A) => unknown,
    ...args: A
  ): SystemEventTrigger | undefined {
    return _callWhenRunning(this, fn, args);
  }

  /**
   * Registers `fn(...args)` to run at `phase` of the system event `event`
   * (`"startup"`, `"shutdown"`, or any name given to
   * {@linkcode Reactor.fireSystemEvent}). Phases run in order, before,
   * during, after; a trigger that returns a Deferred or promise holds back
   * the next phase until it settles. A trigger that throws or fails is
   * logged, and the event goes on. Each trigger runs once.
   *
   * @returns A handle for {@linkcode Reactor.removeSystemEventTrigger}.
   * @throws {TypeError} if `phase` is not before, during or after, or `fn`
   * is not a function.
   * @example Usage
   * ```ts
   * import { Reactor } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * const r = new Reactor();
   * const log: string[] = [];
   * r.addSystemEventTrigger("after", "shutdown", () => log.push("after"));
   * r.addSystemEventTrigger("before", "shutdown", async () => {
   *   await new Promise((resolve) => setTimeout(resolve, 5));
   *   log.push("before");
   * });
   * r.callWhenRunning(() => r.stop());
   * await r.run();
   * assert.deepEqual(log, ["before", "after"]);
   * ```
   */
  addSystemEventTrigger<A extends unknown[]>(
    phase: SystemEventPhase,
    event: string,
    fn: (...args: A) => unknown,
    ...args: A
  ): SystemEventTrigger {
    if (!PHASES.includes(phase)) {
      throw new TypeError(
        `Cannot add a system event trigger for phase ${
          JSON.stringify(phase)
        }; use "before", "during" or "after"`,
      );
    }
    if (typeof fn !== "function") {
      throw new TypeError(
        "Cannot add a system event trigger that is not a function",
      );
    }
    const trigger = new Trigger(String(event), phase, fn as AnyFn, args);
    this.#phases(trigger.event)[phase].add(trigger);
    return trigger;
  }

  /**
   * Unregisters a trigger added with
   * {@linkcode Reactor.addSystemEventTrigger}. Removing one that has
   * already run does nothing.
   *
   * @throws {TypeError} if `id` is not a trigger of this reactor, or was
   * removed before.
   * @example Usage
   * ```ts
   * import { Reactor } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * const r = new Reactor();
   * let ran = false;
   * const id = r.addSystemEventTrigger("during", "shutdown", () => { ran = true; });
   * r.removeSystemEventTrigger(id);
   * r.callWhenRunning(() => r.stop());
   * await r.run();
   * assert.equal(ran, false);
   * ```
   */
  removeSystemEventTrigger(id: SystemEventTrigger): void {
    if (id instanceof Trigger) {
      if (this.#events.get(id.event)?.[id.phase].delete(id)) return;
      if (id.fired) return;
    }
    throw new TypeError(
      "Cannot remove a system event trigger that is not registered",
    );
  }

  /**
   * Runs the triggers of `event` phase by phase, as the reactor does for
   * "startup" in `run()` and "shutdown" in `stop()`.
   *
   * @example Usage
   * ```ts
   * import { Reactor } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * const r = new Reactor();
   * const log: string[] = [];
   * r.addSystemEventTrigger("during", "reload", () => log.push("during"));
   * r.addSystemEventTrigger("before", "reload", () => log.push("before"));
   * r.fireSystemEvent("reload");
   * assert.deepEqual(log, ["before", "during"]);
   * ```
   */
  fireSystemEvent(event: string): void {
    this.#fireEvent(String(event), () => {});
  }

  /**
   * Runs the reactor: fires the startup triggers (the `callWhenRunning`
   * calls among them) and keeps the process alive until
   * {@linkcode Reactor.stop}. SIGINT and SIGTERM stop it while it runs
   * (SIGINT only if the program does not listen for it itself, as in
   * Twisted); a signal that arrives while the shutdown triggers run exits
   * the process at once, so a stuck trigger cannot trap the program. The
   * handlers come off when the run ends.
   *
   * @returns A promise that resolves once the reactor has shut down.
   * @throws {ReactorAlreadyRunning} if it is running or stopping.
   * @example Usage
   * ```ts
   * import { Reactor } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * const r = new Reactor();
   * r.callLater(0.01, () => r.stop());
   * await r.run();
   * assert.equal(r.running, false);
   * ```
   */
  run(): Promise<void> {
    if (this.#state !== IDLE) throw new ReactorAlreadyRunning();
    this.#state = STARTING;
    this.#shutdownDuring = false;
    const done = new Promise<void>((resolve) => {
      this.#stopped = resolve;
    });
    this.#keepAlive = setInterval(() => {}, MAX_TIMER_MS);
    this.#signals = signalsToHandle();
    REACTOR_LISTENERS.add(this.#onSignal);
    for (const s of this.#signals) _process()?.on?.(s, this.#onSignal);
    this.#syncRef();
    const epoch = ++this.#epoch;
    this.#fireEvent("startup", () => {}, () => {
      if (this.#state === STARTING) this.#state = RUNNING;
      // As in Twisted, `running` turns true here even if a "before
      // startup" trigger called stop(), unless the shutdown has already
      // reached its own "during" phase.
      if (this.#state === RUNNING || !this.#shutdownDuring) {
        this.#running = true;
      }
    }, () => epoch === this.#epoch);
    return done;
  }

  /**
   * Stops the reactor: on the next turn of the loop, runs the shutdown
   * triggers (before, during, after; `running` turns false as "during"
   * starts), then releases everything that kept the process alive,
   * including the calls still pending (they stay scheduled, but no longer
   * hold the process open), and resolves the promise of `run()`.
   *
   * @throws {ReactorNotRunning} if the reactor is not running, or is
   * already stopping.
   * @example Usage
   * ```ts
   * import { Reactor, ReactorNotRunning } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * const r = new Reactor();
   * const done = r.run();
   * r.stop();
   * assert.throws(() => r.stop(), ReactorNotRunning);
   * await done;
   * ```
   */
  stop(): void {
    if (this.#state !== STARTING && this.#state !== RUNNING) {
      throw new ReactorNotRunning();
    }
    this.#state = STOPPING;
    const epoch = this.#epoch;
    // As in Twisted, shutdown starts on the next turn of the loop, after
    // whatever called stop() (and the calls due with it) has finished.
    this.#shutdownTimer = setTimeout(() => {
      this.#shutdownTimer = undefined;
      this.#fireEvent("shutdown", () => this.#finishStop(), () => {
        this.#shutdownDuring = true;
        this.#running = false;
      }, () => epoch === this.#epoch);
    }, 0);
  }

  /**
   * Stops the reactor at once, as Twisted's `reactor.crash()`: unlike
   * {@linkcode Reactor.stop}, no shutdown triggers run (those not run yet
   * stay registered, and the rest of a shutdown or startup in progress is
   * abandoned). `running` turns false, everything that kept the process
   * alive is released (calls still pending stay scheduled, but no longer
   * hold the process open), and the promise of `run()` resolves; the
   * reactor can be run again. Crashing a reactor that is not running does
   * nothing, as in Twisted.
   *
   * It is rude (ports and connections are not closed, so data can be
   * lost); it is for when a shutdown trigger is wedged, and for tests.
   *
   * @example Usage
   * ```ts
   * import { Reactor } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * const r = new Reactor();
   * let cleanedUp = false;
   * r.addSystemEventTrigger("before", "shutdown", () => { cleanedUp = true; });
   * r.callWhenRunning(() => r.crash());
   * await r.run();
   * assert.equal(r.running, false);
   * assert.equal(cleanedUp, false);
   * ```
   */
  crash(): void {
    if (this.#state === IDLE) return;
    this.#epoch++;
    if (this.#shutdownTimer !== undefined) clearTimeout(this.#shutdownTimer);
    this.#shutdownTimer = undefined;
    this.#finishStop();
  }

  /**
   * Listens for TCP connections on `port` (0 picks a free one), building
   * a protocol with `factory` for each; see `listenTCP` in the TCP layer.
   * The port closes when the reactor shuts down.
   *
   * @returns A Deferred of the listening port; it fails with
   * `CannotListenError` if the port cannot be bound.
   * @example Usage
   * ```ts
   * import { Factory, Protocol, reactor } from "@twixt/reactor";
   *
   * const port = await reactor.listenTCP(0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
   * await port.stopListening();
   * ```
   */
  listenTCP<P extends Protocol>(
    port: number,
    factory: Factory<P>,
    opts?: ListenTCPOptions,
  ): Deferred<IListeningPort> {
    return listenTCP(this, port, factory, opts);
  }

  /**
   * Connects to `host`:`port` over TCP, building the protocol with
   * `factory`; see `connectTCP` in the TCP layer.
   *
   * @returns A Deferred of the connected protocol; it fails with
   * `ConnectionRefusedError` (and the factory's `clientConnectionFailed`
   * is called) if the connection cannot be made.
   * @example Usage
   * ```ts
   * import { ClientFactory, ConnectionRefusedError, Factory, Protocol, reactor } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * const port = await reactor.listenTCP(0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
   * const { port: number } = port.getHost();
   * await port.stopListening();
   * const factory = new ClientFactory();
   * factory.protocol = Protocol;
   * await assert.rejects(
   *   reactor.connectTCP("127.0.0.1", number, factory).asPromise(),
   *   ConnectionRefusedError,
   * );
   * ```
   */
  connectTCP<P extends Protocol>(
    host: string,
    port: number,
    factory: ClientFactory<P>,
    opts?: ConnectTCPOptions,
  ): Deferred<P> {
    return connectTCP(this, host, port, factory, opts);
  }

  /**
   * Listens for TLS connections on `port`, serving each with a protocol
   * from `factory` once its handshake is done; see `listenSSL` in the TLS
   * layer.
   *
   * @returns A Deferred of the listening port.
   * @example Usage
   * ```ts
   * import { CertificateOptions, Factory, Protocol, reactor } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * // A server needs a certificate (PrivateCertificate.loadPEM(...).options()).
   * await assert.rejects(
   *   reactor.listenSSL(0, Factory.forProtocol(Protocol), new CertificateOptions()).asPromise(),
   *   TypeError,
   * );
   * ```
   */
  listenSSL<P extends Protocol>(
    port: number,
    factory: Factory<P>,
    contextFactory: ITLSContextFactory,
    opts?: ListenTCPOptions,
  ): Deferred<IListeningPort> {
    return _withTLS((tls) =>
      tls.listenSSL(this, port, factory, contextFactory, opts)
    );
  }

  /**
   * Connects to `host`:`port` over TLS; the Deferred fires with the
   * protocol once the handshake is done and the server verified; see
   * `connectSSL` in the TLS layer.
   *
   * @returns A Deferred of the connected protocol.
   * @example Usage
   * ```ts
   * import { ClientFactory, optionsForClientTLS, Protocol, reactor } from "@twixt/reactor";
   * import assert from "node:assert/strict";
   *
   * await assert.rejects(
   *   reactor.connectSSL("127.0.0.1", 0, ClientFactory.forProtocol(Protocol), optionsForClientTLS("localhost")).asPromise(),
   *   RangeError,
   * );
   * ```
   */
  connectSSL<P extends Protocol>(
    host: string,
    port: number,
    factory: ClientFactory<P>,
    contextFactory: ITLSContextFactory,
    opts?: ConnectTCPOptions,
  ): Deferred<P> {
    return _withTLS((tls) =>
      tls.connectSSL(this, host, port, factory, contextFactory, opts)
    );
  }

  #finishStop(): void {
    for (const s of this.#signals) _process()?.off?.(s, this.#onSignal);
    this.#signals = [];
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    this.#state = IDLE;
    this.#running = false;
    this.#calls.release();
    this.#syncRef();
    const stopped = this.#stopped;
    this.#stopped = undefined;
    stopped?.();
  }

  #onSignal = (signal: string): void => {
    if (this.#state === STOPPING) {
      // A stuck shutdown trigger must not trap the program.
      _process()?.exit?.(128 + (SIGNAL_NUMBERS[signal] ?? 0));
    }
    this.stop();
  };

  #phases(event: string): Phases {
    let phases = this.#events.get(event);
    if (phases === undefined) {
      phases = { before: new Set(), during: new Set(), after: new Set() };
      this.#events.set(event, phases);
    }
    return phases;
  }

  // Runs the phases of `event` in order, waiting between phases for the
  // Deferreds and promises the triggers returned; `onDuring` runs as the
  // "during" phase starts (it flips `running`, as Twisted's own first
  // during-trigger does); once `alive` says no (a crash), the event stops.
  #fireEvent(
    event: string,
    done: () => void,
    onDuring?: () => void,
    alive: () => boolean = () => true,
  ): void {
    const phases = this.#phases(event);
    const runPhase = (i: number): void => {
      if (!alive()) return;
      const phase = PHASES[i];
      if (phase === undefined) {
        done();
        return;
      }
      if (phase === "during") onDuring?.();
      const waits: Deferred<unknown>[] = [];
      const set = phases[phase];
      // A Set visits what is added while it is iterated, and skips what is
      // removed: triggers added or removed by triggers behave as in Twisted.
      for (const trigger of set) {
        set.delete(trigger);
        trigger.fired = true;
        let result: unknown;
        try {
          result = trigger.run();
        } catch (e) {
          logError(new Failure(e));
          continue;
        }
        if (result instanceof Deferred) waits.push(result);
        else if (isThenable(result)) waits.push(Deferred.fromPromise(result));
      }
      if (waits.length === 0) {
        runPhase(i + 1);
        return;
      }
      let left = waits.length;
      for (const d of waits) {
        d.addBoth((r: unknown) => {
          if (r instanceof Failure) logError(r);
          if (--left === 0) runPhase(i + 1);
        });
      }
    };
    runPhase(0);
  }

  // Arms the runtime timer for the earliest call, unless it is armed for
  // that time or sooner: a timer that fires early finds nothing due and
  // re-arms, which is cheaper than re-arming on every cancel.
  #arm(): void {
    const top = this.#calls.peek();
    if (top === undefined) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      return;
    }
    if (this.#timer !== undefined) {
      if (this.#timerAt <= top._time) return;
      clearTimeout(this.#timer);
    }
    const now = this.seconds();
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, (top._time - now) * 1000));
    this.#timerAt = now + ms / 1000;
    this.#timer = setTimeout(this.#fire, ms);
    this.#timerRefed = true;
    this.#syncRef();
  }

  // The timer holds the process open while the reactor runs or stops, and
  // while a call scheduled since the last stop is pending.
  #syncRef(): void {
    const timer = this.#timer;
    if (timer === undefined) return;
    if (this.#calls.size === 0) {
      // Nothing left to wait for: leave no timer behind (test runners
      // count armed timers, even released ones).
      clearTimeout(timer);
      this.#timer = undefined;
      return;
    }
    const hold = this.#state !== IDLE || this.#calls.held > 0;
    if (hold === this.#timerRefed) return;
    this.#timerRefed = hold;
    if (hold) timer.ref?.();
    else timer.unref?.();
  }

  #fire = (): void => {
    this.#timer = undefined;
    const calls = this.#calls;
    const now = this.seconds();
    // Calls scheduled by these calls wait for the next turn of the loop, so
    // a call that reschedules itself with delay 0 cannot starve I/O.
    const limit = calls.nextSeq;
    try {
      for (;;) {
        const call = calls.takeDue(now, limit);
        if (call === undefined) break;
        try {
          call._invoke();
        } catch (e) {
          logError(new Failure(e));
        }
      }
    } finally {
      this.#arm();
    }
  };
}

/**
 * The shared reactor, as `twisted.internet.reactor`: programs schedule
 * their work on it, call `reactor.run()` last, and `reactor.stop()` when
 * done.
 *
 * @example Usage
 * ```ts
 * import { reactor } from "@twixt/reactor";
 *
 * reactor.callLater(0.01, () => {
 *   console.log("done");
 *   reactor.stop();
 * });
 * await reactor.run();
 * ```
 */
export const reactor: Reactor = new Reactor();
