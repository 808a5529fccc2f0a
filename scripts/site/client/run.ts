/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The Run buttons under the tutorial's getPage programs: each loads the
 * program, bundled for the browser from packages/examples (site.ts
 * replaced by program_site.ts, node:process by program_process.ts), as a
 * fresh module, and shows what it prints. The program fetches the site's
 * own copy of the tutorial's pages (library/), or a page that is not
 * there (error_handler).
 *
 * @module
 */

/** What the program shims read: where the pages are, where output goes. */
export interface ProgramRun {
  /** The site's library/ folder, with a trailing slash. */
  base: string;
  /** Prints one line of the program's output. */
  print(line: string): void;
  /** Called when the program's reactor has shut down. */
  done(): void;
}

let runs = 0;

/** Wires every `[data-program]` button in the page. */
export function wireRunButtons(): void {
  for (const box of document.querySelectorAll<HTMLElement>(".run-program")) {
    const button = box.querySelector("button")!;
    const out = box.querySelector("output")!;
    button.addEventListener("click", async () => {
      button.disabled = true;
      box.dataset["status"] = "running";
      out.textContent = "";
      const lines: string[] = [];
      const finished = new Promise<void>((resolve) => {
        const run: ProgramRun = {
          base: new URL(box.dataset["library"]!, location.href).href,
          print: (line) => {
            lines.push(line);
            out.textContent = lines.join("\n");
          },
          done: resolve,
        };
        (globalThis as { twixtProgram?: ProgramRun }).twixtProgram = run;
      });
      try {
        // A query makes each run a fresh module, with its own reactor.
        await import(`${box.dataset["src"]}?run=${++runs}`);
        await finished;
        box.dataset["status"] = "done";
      } catch (e) {
        out.textContent = `${lines.join("\n")}\n${e}`;
        box.dataset["status"] = "failed";
      } finally {
        button.disabled = false;
      }
    });
  }
}
