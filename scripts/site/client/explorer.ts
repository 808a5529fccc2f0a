/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The chain explorer embedded in the guides (`<div class="chain-explorer">`
 * in the Markdown): the reader adds steps, fires the Deferred, and watches
 * each step light up with the value or Failure passed along each arrow.
 * The chain is the real `@twixt/defer` (see chain.ts); the page only
 * replays what the chain recorded, one step at a time.
 *
 * @module
 */
import {
  Chain,
  type Fire,
  SCENARIOS,
  show,
  type StepKind,
  STEPS,
} from "./chain.ts";

const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
};

/** Milliseconds between two steps lighting up (`?explorer-speed=0`: none). */
function speed(): number {
  const q = new URLSearchParams(location.search).get("explorer-speed");
  return q === null ? 500 : Number(q);
}

/** Mounts an explorer in `root`, starting from its `data-steps`, if any. */
export function mountExplorer(root: HTMLElement): void {
  let steps: StepKind[] = (root.dataset["steps"] ?? "lower print")
    .split(/\s+/).filter((s): s is StepKind => s in STEPS);
  let chain: Chain | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const queue: (() => void)[] = [];

  const palette = h("div", { class: "palette" });
  for (const [kind, step] of Object.entries(STEPS)) {
    const b = h(
      "button",
      { type: "button", "data-add": kind },
      `+ ${step.label}`,
    );
    b.title = step.code;
    b.addEventListener("click", () => {
      steps = [...steps, kind as StepKind];
      reset();
    });
    palette.append(b);
  }
  const clear = h("button", { type: "button", "data-clear": "" }, "Clear");
  clear.addEventListener("click", () => {
    steps = [];
    reset();
  });
  palette.append(clear);

  const examples = h("div", { class: "examples" }, "Examples: ");
  for (const s of SCENARIOS) {
    const b = h("button", { type: "button", "data-scenario": s.name }, s.name);
    b.addEventListener("click", () => {
      steps = [...s.steps];
      reset();
    });
    examples.append(b);
  }

  const list = h("ol", { class: "chain" });
  const status = h("p", { class: "status", role: "status" });
  const fires = h("div", { class: "fire" });
  const buttons: Record<Fire | "inner", HTMLButtonElement> = {
    callback: h(
      "button",
      { type: "button", "data-fire": "callback" },
      `d.callback(${show("Welcome to the Twixt LIBRARY")})`,
    ),
    errback: h(
      "button",
      { type: "button", "data-fire": "errback" },
      'd.errback(new Error("404 Not Found"))',
    ),
    cancel: h(
      "button",
      { type: "button", "data-fire": "cancel" },
      "d.cancel()",
    ),
    inner: h(
      "button",
      { type: "button", "data-fire": "inner" },
      "fire the inner Deferred",
    ),
  };
  for (const how of ["callback", "errback", "cancel"] as Fire[]) {
    buttons[how].addEventListener("click", () => fire(how));
  }
  buttons.inner.addEventListener("click", () => {
    if (!chain) return;
    buttons.inner.disabled = true;
    chain.fireInner();
    finish();
  });
  const again = h("button", { type: "button", "data-reset": "" }, "Reset");
  again.addEventListener("click", () => resetChain());
  fires.append(
    buttons.callback,
    buttons.errback,
    buttons.cancel,
    buttons.inner,
    again,
  );

  root.replaceChildren(
    h(
      "p",
      { class: "explorer-title" },
      "Chain explorer: build a Deferred, fire it, watch it run",
    ),
    examples,
    palette,
    list,
    fires,
    status,
  );

  function resetChain(): void {
    clearTimeout(timer);
    queue.length = 0;
    chain?.settle();
    chain = new Chain(steps);
    const c = chain;
    chain.onStep((t) =>
      queue.push(() => {
        if (c !== chain) return;
        light(t.step, t.side, t.input, t.output, t.threw);
      })
    );
    list.replaceChildren(
      h(
        "li",
        { class: "arrow start", "data-arrow": "-1" },
        h("span", {}, "fire"),
      ),
    );
    steps.forEach((kind, i) => {
      const step = STEPS[kind];
      const name = step.label.replace(/^add\w+\((\w+)\).*$/, "$1");
      const cb = step.method === "addErrback" ? "passthru" : name;
      const eb = step.method === "addCallback" ? "passthru" : name;
      list.append(
        h(
          "li",
          { class: "step", "data-step": String(i), "data-ran": "" },
          h("span", { class: "side callback" }, cb),
          h("span", { class: "side errback" }, eb),
          h("code", { class: "method" }, `${step.method}`),
        ),
        h("li", { class: "arrow", "data-arrow": String(i) }, h("span", {}, "")),
      );
    });
    for (const b of Object.values(buttons)) b.disabled = false;
    buttons.inner.disabled = true;
    setStatus("idle");
  }
  function reset(): void {
    resetChain();
  }

  let lastLit = -1;
  function stepEl(i: number): HTMLElement {
    return list.querySelector(`[data-step="${i}"]`) as HTMLElement;
  }
  function arrow(i: number, text: string, failed: boolean): void {
    const a = list.querySelector(`[data-arrow="${i}"]`) as HTMLElement;
    a.firstElementChild!.textContent = text;
    a.classList.toggle("failure", failed);
    a.classList.add("lit");
    a.dataset["value"] = text;
  }
  function passBy(upTo: number): void {
    for (let j = lastLit + 1; j < upTo; j++) {
      const el = stepEl(j);
      el.dataset["ran"] = "passed";
      el.className = "step passed";
      const prev =
        (list.querySelector(`[data-arrow="${j - 1}"]`) as HTMLElement)
          .dataset["value"] ?? "";
      arrow(j, prev, prev.startsWith("Failure"));
    }
  }
  function light(
    i: number,
    side: string,
    input: string,
    output: string,
    threw: boolean,
  ): void {
    if (lastLit === -1 && i >= 0) arrow(-1, input, input.startsWith("Failure"));
    passBy(i);
    for (const el of list.querySelectorAll(".step.current")) {
      el.classList.remove("current");
    }
    const el = stepEl(i);
    el.dataset["ran"] = side;
    el.dataset["in"] = input;
    el.dataset["out"] = output;
    el.className = `step ran ran-${side}${threw ? " threw" : ""} current`;
    for (const n of list.querySelectorAll(".step.next")) {
      n.classList.remove("next");
    }
    arrow(i, output, output.startsWith("Failure"));
    lastLit = i;
  }

  function setStatus(s: string): void {
    root.dataset["status"] = s;
    if (!chain) return;
    const now = chain.state();
    root.dataset["line"] = now.line;
    root.dataset["state"] = now.state;
    status.textContent = s === "idle"
      ? `${now.line}: press callback, errback or cancel.`
      : `${now.line}  (state: ${now.state}; current result: ${now.result})`;
  }

  function play(then: () => void): void {
    setStatus("playing");
    const next = (): void => {
      const f = queue.shift();
      if (!f) {
        then();
        return;
      }
      f();
      timer = setTimeout(next, speed());
    };
    next();
  }

  function fire(how: Fire): void {
    if (!chain) return;
    for (const b of [buttons.callback, buttons.errback, buttons.cancel]) {
      b.disabled = true;
    }
    lastLit = -1;
    chain.fire(how);
    finish();
  }

  function finish(): void {
    const c = chain!;
    play(() => {
      const now = c.state();
      if (now.state === "waiting") {
        // describeDeferred says which entry runs when the inner one fires.
        if (now.next >= 0) stepEl(now.next).classList.add("next");
        buttons.inner.disabled = false;
        setStatus("waiting");
        return;
      }
      if (lastLit === -1) {
        arrow(-1, now.result, now.result.startsWith("Failure"));
      }
      passBy(steps.length);
      setStatus("done");
    });
  }

  resetChain();
}
