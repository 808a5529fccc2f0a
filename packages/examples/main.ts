/**
 * The demo (`npm start`, `deno task demo`): runs the tutorial's three
 * programs in turn, each as its own process, against one local web site
 * started here, then the email program (email.ts) in this process, with its
 * own local mail server, so it all works offline. Exits 0 when every
 * program did.
 *
 * Usage: `deno run -A packages/examples/main.ts` or
 * `bun packages/examples/main.ts`
 *
 * @module
 */
import { join } from "node:path";
import process from "node:process";
import { reactor } from "@twixt/reactor";
import { commandLine, EXAMPLES, runProgram } from "./_run.ts";
import { main as sendEmail } from "./email.ts";
import { serveSite } from "./site.ts";

/** One program of the demo: its heading, file, and the page it fetches. */
interface Step {
  heading: string;
  file: string;
  page: string;
}

const steps: Step[] = [
  {
    heading: "1. A callback: getPage, then printContents",
    file: "print_contents.ts",
    page: "",
  },
  {
    heading: "2. A callback chain: lowerCaseContents, then printContents",
    file: "lower_case_contents.ts",
    page: "",
  },
  {
    heading: "3. An errback: a page that does not exist, then errorHandler",
    file: "error_handler.ts",
    page: "does-not-exist",
  },
];

const site = await serveSite();
const failed: string[] = [];
try {
  console.log(`Serving the tutorial's pages at ${site.url}`);
  for (const step of steps) {
    const url = site.url + step.page;
    console.log(`\n=== ${step.heading}`);
    console.log(`$ ${commandLine(`packages/examples/${step.file}`, [url])}\n`);
    const r = await runProgram(join(EXAMPLES, step.file), [url], {
      inherit: true,
    });
    if (r.code !== 0) failed.push(`${step.file} (exit code ${r.code})`);
  }
} finally {
  await site.close();
}

console.log(
  "\n=== 4. The email example: each step of an SMTP conversation a Deferred,",
);
console.log("switching to TLS midway (STARTTLS) and logging in (AUTH PLAIN)");
console.log(
  `(on its own: ${
    commandLine("packages/examples/email.ts", ["--starttls"])
  })\n`,
);
try {
  await sendEmail(reactor, "--starttls");
} catch (e) {
  console.error(e);
  failed.push("email.ts");
}

if (failed.length) {
  console.error(`\nThese programs failed: ${failed.join(", ")}`);
  process.exitCode = 1;
} else {
  console.log(
    "\nAll done. The tutorial: docs/async.md; more programs: packages/examples/README.md",
  );
}
