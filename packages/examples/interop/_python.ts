/**
 * Starting real Twisted as a peer for the interop tests: finds a Python 3
 * that can import Twisted, runs a peer script beside this file, reads the
 * port it prints, and kills it when the test is done.
 *
 * A peer script prints `PORT <n>` on its first line of standard output
 * once it listens (or once it is ready, with port 0 when it only
 * connects), then anything the test reads. Where Twisted cannot be
 * imported, {@linkcode skipReason} says why, and every interop test is
 * reported as skipped with that reason.
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { EXAMPLES } from "../_run.ts";

/**
 * The folder of the interop tests and their Python peers, in the source
 * tree (on Node the tests run compiled elsewhere; the sources stay here).
 */
export const HERE: string = join(EXAMPLES, "interop");

const INSTALL = "apt-get install python3-twisted";

function importsTwisted(python: string): boolean {
  const r = spawnSync(python, ["-c", "import twisted.mail.smtp"], {
    stdio: "ignore",
    timeout: 20_000,
  });
  return r.status === 0;
}

/**
 * The Python that runs the peers: `$TWIXT_PYTHON` if set, else the first of
 * `python3` and `/usr/bin/python3` (Debian's, which python3-twisted
 * installs into, when a `python3` earlier on the PATH lacks Twisted) that
 * imports `twisted.mail.smtp`; undefined if none does.
 */
export const PYTHON: string | undefined = (() => {
  const env = process.env["TWIXT_PYTHON"];
  const candidates = env ? [env] : ["python3", "/usr/bin/python3"];
  return candidates.find(importsTwisted);
})();

/**
 * Why the interop tests are skipped (for node:test's `skip` option), or
 * false when Twisted is there to run them.
 */
export const skipReason: string | false = PYTHON === undefined
  ? `Twisted is not installed: ${INSTALL}`
  : false;

/** A running Python peer. */
export interface Peer {
  /** The port it printed. */
  port: number;
  /** Its standard output after the `PORT` line, so far. */
  stdout(): string;
  /** Its standard error so far. */
  stderr(): string;
  /** Resolves with the exit code once it has exited (null: a signal). */
  exited: Promise<number | null>;
  /** Kills it (if still running) and waits for it to exit. */
  kill(): Promise<void>;
}

/**
 * Starts `script` (a file beside this one) with `args`, and resolves once
 * it has printed its port. Fails if it exits first or prints nothing
 * within `timeout` seconds; the peer is killed after `lifetime` seconds
 * whatever happens, so a stuck test cannot leave it behind.
 */
export function startPeer(
  script: string,
  args: string[] = [],
  { timeout = 20, lifetime = 300 }: { timeout?: number; lifetime?: number } =
    {},
): Promise<Peer> {
  if (PYTHON === undefined) {
    return Promise.reject(new Error(`Twisted is not installed: ${INSTALL}`));
  }
  const child: ChildProcess = spawn(
    PYTHON,
    ["-u", join(HERE, script), ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  let exitCode: number | null | undefined;
  const killer = setTimeout(() => child.kill("SIGKILL"), lifetime * 1000);
  const exited = new Promise<number | null>((resolve) => {
    child.on("close", (code) => {
      clearTimeout(killer);
      exitCode = code;
      resolve(code);
    });
  });
  child.stderr!.setEncoding("utf8").on("data", (s: string) => err += s);
  return new Promise((resolve, reject) => {
    const giveUp = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`${script} printed no port within ${timeout} s\n${err}`),
      );
    }, timeout * 1000);
    let port: number | undefined;
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      out += s;
      if (port !== undefined) return;
      const m = /^PORT (\d+)\r?\n/.exec(out);
      if (m === null) return;
      port = Number(m[1]);
      out = out.slice(m[0].length);
      clearTimeout(giveUp);
      resolve({
        port,
        stdout: () => out,
        stderr: () => err,
        exited,
        kill: async () => {
          if (exitCode === undefined) child.kill("SIGKILL");
          await exited;
        },
      });
    });
    void exited.then((code) => {
      if (port !== undefined) return;
      clearTimeout(giveUp);
      reject(
        new Error(
          `${script} exited (${code}) before printing its port\n${err}`,
        ),
      );
    });
  });
}
