/**
 * Starts the twisted.web site of testdata/twisted_site.py for the interop
 * tests, with a Python that can import Twisted (`$TWIXT_PYTHON`, else
 * `python3`, else Debian's `/usr/bin/python3`, where python3-twisted
 * installs); {@linkcode twistedMissing} says why the tests are skipped
 * when there is none.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const SCRIPT = join("packages", "web-client", "testdata", "twisted_site.py");

// On Node the tests run compiled in another folder: the script stays in
// the source tree, found from here or from the working directory.
function findScript(): string | undefined {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    for (let dir = start, i = 0; i < 12; dir = dirname(dir), i++) {
      if (existsSync(join(dir, SCRIPT))) return join(dir, SCRIPT);
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}

const script = findScript();

const python: string | undefined = (() => {
  const env = process.env["TWIXT_PYTHON"];
  for (const candidate of env ? [env] : ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(candidate, ["-c", "import twisted.web"], {
      stdio: "ignore",
      timeout: 20_000,
    });
    if (r.status === 0) return candidate;
  }
  return undefined;
})();

/** Why the interop tests cannot run (node:test's `skip`), or false. */
export const twistedMissing: string | false = python === undefined
  ? 'python3 -c "import twisted.web" fails: Twisted is not installed ' +
    "(apt-get install python3-twisted)"
  : script === undefined
  ? `${SCRIPT} is not found from here`
  : false;

/** The running site. */
export interface TwistedSite {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** A port that answers anything with a line that is not HTTP. */
  rawPort: number;
  /** Kills the Python process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts the site; fails if it prints no ports within 20 s. */
export function startTwistedSite(): Promise<TwistedSite> {
  if (twistedMissing !== false) {
    return Promise.reject(new Error(twistedMissing));
  }
  const child: ChildProcess = spawn(python!, ["-u", script!], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const exited = new Promise<void>((resolve) => child.on("close", resolve));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
    }
    await exited;
  };
  return new Promise((resolve, reject) => {
    const giveUp = setTimeout(() => {
      void stop();
      reject(new Error(`twisted_site.py printed no ports in 20 s\n${err}`));
    }, 20_000);
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      out += s;
      const m = /^PORT (\d+) (\d+)\r?\n/.exec(out);
      if (m === null) return;
      clearTimeout(giveUp);
      resolve({
        base: `http://127.0.0.1:${m[1]}`,
        rawPort: Number(m[2]),
        stop,
      });
    });
    void exited.then(() => {
      clearTimeout(giveUp);
      reject(new Error(`twisted_site.py exited before listening\n${err}`));
    });
  });
}
