/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Loaded first into every page the site's test opens (site_test.ts
 * injects it): collects console errors, failed and outside requests, the
 * Mermaid blocks and their SVGs, the page's links and the API index's
 * entry points; with `?scenario=N` it clicks through the Nth chain
 * explorer scenario, with `?run` it presses every Run button; then it
 * posts a report to the test server and tells the harness page.
 *
 * @module
 */
import { SCENARIOS } from "../client/chain.ts";

const errors: string[] = [];
const show = (args: unknown[]): string =>
  args.map((a) => a instanceof Error ? a.stack ?? String(a) : String(a)).join(
    " ",
  );
const consoleError = console.error.bind(console);
console.error = (...args: unknown[]): void => {
  errors.push(`console.error: ${show(args)}`);
  consoleError(...args);
};
addEventListener("error", (e) => {
  const t = e.target as { src?: string; href?: string } | null;
  if (t && t !== (window as unknown) && (t.src || t.href)) {
    errors.push(`failed to load ${t.src || t.href}`);
  } else {
    errors.push(`uncaught: ${(e as ErrorEvent).message}`);
  }
}, true);
addEventListener("unhandledrejection", (e) => {
  errors.push(`unhandled rejection: ${show([e.reason])}`);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: () => boolean, label: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (what()) return;
    await sleep(25);
  }
  throw new Error(`Timed out waiting for ${label}`);
}

function click(root: ParentNode, selector: string): void {
  const el = root.querySelector<HTMLButtonElement>(selector);
  if (!el) throw new Error(`No ${selector} to click`);
  el.click();
}

async function scenario(n: number): Promise<unknown> {
  const s = SCENARIOS[n]!;
  const root = document.querySelector<HTMLElement>(".chain-explorer")!;
  click(root, `[data-scenario="${s.name}"]`);
  click(root, `[data-fire="${s.fire}"]`);
  const settled = () => ["done", "waiting"].includes(root.dataset["status"]!);
  await until(settled, "the chain to run");
  let waitingNext: string | null = null;
  if (s.inner) {
    await until(
      () => root.dataset["status"] === "waiting",
      "the chain to wait",
    );
    waitingNext =
      root.querySelector<HTMLElement>("li.step.next")?.dataset["step"] ?? null;
    click(root, '[data-fire="inner"]');
    await until(() => root.dataset["status"] === "done", "the inner Deferred");
  }
  return {
    steps: [...root.querySelectorAll<HTMLElement>("li.step")].map((el) => ({
      ran: el.dataset["ran"],
      input: el.dataset["in"] ?? null,
      output: el.dataset["out"] ?? null,
    })),
    arrows: [...root.querySelectorAll<HTMLElement>("li.arrow")].map((el) =>
      el.dataset["value"] ?? null
    ),
    state: root.dataset["state"],
    line: root.dataset["line"],
    waitingNext,
  };
}

async function runAll(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const box of document.querySelectorAll<HTMLElement>(".run-program")) {
    box.querySelector("button")!.click();
    await until(
      () =>
        box.dataset["status"] === "done" || box.dataset["status"] === "failed",
      `${box.dataset["program"]} to finish`,
    );
    out[box.dataset["program"]!] = `${box.dataset["status"]}\n${
      box.querySelector("output")!.textContent
    }`;
  }
  return out;
}

addEventListener("load", async () => {
  const q = new URLSearchParams(location.search);
  const report: Record<string, unknown> = {
    page: location.pathname + location.search,
  };
  try {
    await (globalThis as { siteReady?: Promise<void> }).siteReady;
    const diagrams = [...document.querySelectorAll(".mermaid")];
    report["mermaid"] = diagrams.length;
    report["svgs"] = diagrams.filter((d) => d.querySelector("svg")).length;
    report["links"] = [
      ...new Set(
        [...document.querySelectorAll<HTMLAnchorElement>("a[href]")]
          .map((a) => a.href)
          .filter((h) => h.startsWith(location.origin)),
      ),
    ];
    report["entries"] = [
      ...document.querySelectorAll<HTMLElement>("[data-entry]"),
    ]
      .map((e) => e.dataset["entry"]);
    report["explorers"] =
      document.querySelectorAll(".chain-explorer[data-status]").length;
    report["runButtons"] = document.querySelectorAll(".run-program").length;
    if (q.has("scenario")) {
      report["scenario"] = await scenario(Number(q.get("scenario")));
    }
    if (q.has("run")) report["runs"] = await runAll();
    // For the screenshots: what was clicked, alone at the top of the page.
    const clicked = q.has("scenario")
      ? [document.querySelector(".chain-explorer")!]
      : q.has("run")
      ? [...document.querySelectorAll(".run-program")]
      : [];
    if (clicked.length) {
      document.querySelector("main")!.replaceChildren(...clicked);
    }
  } catch (e) {
    errors.push(`check: ${show([e])}`);
  }
  report["outside"] = performance.getEntriesByType("resource")
    .map((r) => r.name)
    .filter((n) => !n.startsWith(location.origin) && !n.startsWith("data:"));
  report["errors"] = errors;
  await fetch("/__report", { method: "POST", body: JSON.stringify(report) });
  parent.postMessage("checked", "*");
});
