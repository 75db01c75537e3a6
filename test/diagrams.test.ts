import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { diagramsHtml } from "../scripts/diagrams.js";
import { sceneParser } from "../src/compiler/syntax/parser.js";

const committedPath = fileURLToPath(new URL("../grammar/diagrams.html", import.meta.url));

describe("grammar/diagrams.html", () => {
  const generated = diagramsHtml();

  it("is up to date with the parser", () => {
    const committed = readFileSync(committedPath, "utf8");
    // Not toBe(): a failing diff of a 60 kB page says less than this.
    if (committed !== generated) {
      expect.fail("grammar/diagrams.html is out of date with the grammar (or with chevrotain): run `npm run diagrams` and commit the result");
    }
  });

  it("is the same on every run", () => {
    expect(diagramsHtml()).toBe(generated);
  });

  it("loads nothing from the network", () => {
    // No <script src>, <link href> or other attribute pointing at http(s); everything is inline.
    expect(generated).not.toMatch(/<script\b[^>]*\bsrc\s*=/i);
    expect(generated).not.toMatch(/<link\b/i);
    expect(generated).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(generated).not.toMatch(/@import|url\(\s*["']?\s*(?:https?:)?\/\//i);
    expect(generated).not.toContain("unpkg.com");
  });

  it("draws one diagram per grammar rule when its scripts run (no browser needed)", () => {
    const scripts = [...generated.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts.length).toBe(6); // railroad, builder, behavior, main, the grammar, the start-up
    const div = { innerHTML: "" };
    // Just enough DOM for chevrotain's diagram scripts: the behaviour finds no headers to wire up.
    const document = {
      getElementById: (id: string) => (id === "diagrams" ? div : null),
      getElementsByClassName: () => [],
    };
    const window: Record<string, unknown> = { document, setTimeout, requestAnimationFrame: () => 0 };
    window["window"] = window;
    const context = vm.createContext(window);
    for (const [i, script] of scripts.entries()) vm.runInContext(script, context, { filename: `diagrams.html <script> #${i + 1}` });

    const rules = sceneParser.getSerializedGastProductions().map((r) => ("name" in r ? String(r.name) : "?"));
    const headers = [...div.innerHTML.matchAll(/<h2 class="diagramHeader">([^<]*)<\/h2>/g)].map((m) => m[1]);
    expect(headers).toEqual(rules);
    expect(div.innerHTML.match(/<svg\b/g)?.length).toBe(rules.length);
  });
});
