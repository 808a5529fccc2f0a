/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The site's script: renders the Mermaid diagrams (with the copy of
 * mermaid the site carries: no network), mounts the chain explorers and
 * wires the Run buttons of the tutorial's programs. `window.siteReady`
 * settles when all of that is done (the site's test waits for it).
 *
 * @module
 */
import { mountExplorer } from "./explorer.ts";
import { wireRunButtons } from "./run.ts";

declare const mermaid: {
  initialize(c: Record<string, unknown>): void;
  run(o: { nodes: Element[] }): Promise<void>;
};

async function ready(): Promise<void> {
  for (const el of document.querySelectorAll<HTMLElement>(".chain-explorer")) {
    mountExplorer(el);
  }
  wireRunButtons();
  const diagrams = [...document.querySelectorAll(".mermaid")];
  if (diagrams.length > 0) {
    mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
    await mermaid.run({ nodes: diagrams });
  }
}

(globalThis as { siteReady?: Promise<void> }).siteReady = ready();
