import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Lexer, type TokenType } from "chevrotain";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import { formatScene } from "../src/compiler/format/format-scene.js";
import { nodeHost } from "../src/compiler/node-host.js";
import type { Plan } from "../src/compiler/plan/plan.js";
import { ALL_TOKENS } from "../src/compiler/syntax/tokens.js";
import { golden } from "./helpers/golden.js";
import { runMain } from "./helpers/scenec-main.js";

// `scenec fmt`: one layout, idempotent, comment-preserving, and the plan never changes.

const root = path.resolve(import.meta.dirname, "..");
const host = { readFile: (p: string) => nodeHost.readFile(path.resolve(root, p)) };
const examples = [
  ...readdirSync(path.join(root, "scenes")).filter((f) => f.endsWith(".scene")).map((f) => `scenes/${f}`),
  ...readdirSync(path.join(root, "scenes/styles")).map((f) => `scenes/styles/${f}`),
].sort();

function format(text: string, file = "test.scene"): string {
  const result = formatScene(text, file);
  if (!result.ok) throw new Error(`not formatted: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return result.text;
}

/** A plan without its `source` positions, which move with the layout by design. */
function planOf(text: string, file: string): Plan | undefined {
  const result = compile(text, { path: file, host });
  const plan = result.plan;
  if (!plan) return undefined;
  const strip = <T extends { source: string }>(x: T) => ({ ...x, source: "" });
  return { ...plan, regions: plan.regions.map(strip), guides: plan.guides.map(strip), ...(plan.shiftedGrids ? { shiftedGrids: plan.shiftedGrids.map(strip) } : {}) };
}

const comments = (text: string) => [...text.matchAll(/#[^\r\n]*/g)].map((m) => m[0].trimEnd());

describe("the layout", () => {
  const messy = `# header


canvas 512X256   seed 7 steps   4
style a "x" style bb "y, {a}"
region  sky{at 0 0 size 512 x 256  prompt "a"
 "b" # why
 negative "c"}
grid g {

  tile 256 x 256
  prompts [ "p1",
     "p2" ]
  cell 0,0 {}

}
region one { at 0, 0  size 8 x 8  prompt "x" }   # trailing
region list { prompts ["a", "b",] }
`;

  it("matches its golden file", () => {
    const rerun = "npx vitest run test/format.test.ts";
    const out = format(messy);
    expect(out).toBe(golden(path.join(import.meta.dirname, "golden", "format", "layout.scene"), out, rerun));
  });

  it("puts each statement on a line, indents blocks and lists, writes `W x H`, `X, Y` and trailing commas", () => {
    const out = format(messy);
    expect(out).toContain("canvas 512 x 256\nseed 7\nsteps 4\n");
    expect(out).toContain("region sky {\n  at 0, 0\n  size 512 x 256\n");
    expect(out).toContain('  prompts [\n    "p1",\n    "p2",\n  ]\n');
    expect(out).toContain("  cell 0, 0 {}\n");
  });

  it("keeps one blank line where there were several, none just inside a block", () => {
    const out = format(messy);
    expect(out.startsWith("# header\n\ncanvas")).toBe(true);
    expect(out).toContain("grid g {\n  tile");
    expect(out).toContain("  cell 0, 0 {}\n}\n");
  });

  it("keeps one-line blocks and lists on one line, options two spaces apart, without a trailing comma", () => {
    const out = format(messy);
    expect(out).toContain('region one { at 0, 0  size 8 x 8  prompt "x" }  # trailing\n');
    expect(out).toContain('region list { prompts ["a", "b"] }\n');
  });

  it("aligns consecutive styles and continuation strings", () => {
    const out = format(messy);
    expect(out).toContain('style a  "x"\nstyle bb "y, {a}"\n');
    expect(out).toContain('  prompt "a"\n         "b"  # why\n');
  });

  it("aligns the trailing comments of consecutive lines", () => {
    expect(format("seed 1 # one\nsteps 10 # two\n\nguidance 7 # alone\n")).toBe("seed 1    # one\nsteps 10  # two\n\nguidance 7  # alone\n");
  });

  it("ends with exactly one newline and writes LF line ends", () => {
    expect(format("seed 1\r\nsteps 2\r\n\r\n\r\n")).toBe("seed 1\nsteps 2\n");
  });
});

describe("the examples", () => {
  for (const file of examples) {
    it(`${file} is formatted already (fmt --check in .ci/run keeps it so), with every comment kept`, () => {
      const text = readFileSync(path.join(root, file), "utf8");
      expect(format(text, file)).toBe(text);
      expect(comments(format(text, file))).toEqual(comments(text));
    });
  }
});

describe("properties", () => {
  // The language ignores whitespace between tokens, so any re-spacing of an example is the same
  // scene: formatting it must give the same plan, and formatting again nothing new.
  const lexer = new Lexer(ALL_TOKENS as TokenType[], { positionTracking: "onlyOffset" });
  const scenes = examples.filter((f) => !f.includes("/styles/"));
  const separator = fc.constantFrom(" ", "  ", "\t", "\n", "\n\n\n", " # note\n", "\n# own line\n");

  it("formatting is idempotent and keeps the plan of re-spaced examples", () => {
    fc.assert(
      fc.property(fc.constantFrom(...scenes), fc.array(separator, { minLength: 400, maxLength: 400 }), (file, gaps) => {
        const text = readFileSync(path.join(root, file), "utf8");
        const tokens = lexer.tokenize(text).tokens;
        const respaced = tokens.map((t, i) => t.image + gaps[i % gaps.length]!).join("");
        const once = format(respaced, file);
        expect(format(once, file)).toBe(once);
        expect(planOf(once, file)).toEqual(planOf(text, file));
        expect(comments(once)).toEqual(comments(respaced));
      }),
      { numRuns: 40 },
    );
  });
});

describe("files it does not format", () => {
  it("a syntax error is reported and nothing is formatted", () => {
    const result = formatScene("canvas 512 x\nregion {", "bad.scene");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.diagnostics.map((d) => d.code)).toContain("S1010");
  });

  it("a PNG is not a scene", () => {
    const png = new TextDecoder().decode(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    const result = formatScene(png, "x.png");
    expect(result.ok ? [] : result.diagnostics.map((d) => d.code)).toEqual(["S1016"]);
  });
});

describe("scenec fmt", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "scenec-fmt-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it("--check lists the files that would change and exits 1; --write rewrites them; then --check passes", async () => {
    const tidy = write("tidy.scene", "seed 1\n");
    const messy = write("messy.scene", "seed 1 steps 2\n");
    const check = await runMain("fmt", "--check", tidy, messy);
    expect(check).toMatchObject({ status: 1, stdout: `${messy}\n` });
    expect(readFileSync(messy, "utf8")).toBe("seed 1 steps 2\n");
    const rewrite = await runMain("fmt", "--write", tidy, messy);
    expect(rewrite).toMatchObject({ status: 0, stderr: `formatted ${messy}\n` });
    expect(readFileSync(messy, "utf8")).toBe("seed 1\nsteps 2\n");
    expect(await runMain("fmt", "--check", tidy, messy)).toMatchObject({ status: 0, stdout: "" });
  });

  it("prints one file to stdout; a file with errors is reported and left alone", async () => {
    expect(await runMain("fmt", write("one.scene", "seed 1 steps 2"))).toMatchObject({ status: 0, stdout: "seed 1\nsteps 2\n" });
    const broken = write("broken.scene", "region {\n");
    const run = await runMain("fmt", "--write", broken);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/broken\.scene:1:8: error\[S1010\]/);
    expect(readFileSync(broken, "utf8")).toBe("region {\n");
  });

  it("refuses ambiguous arguments", async () => {
    expect((await runMain("fmt", "--check", "--write", "a.scene")).status).toBe(2);
    expect((await runMain("fmt", "a.scene", "b.scene")).stderr).toMatch(/--write|--check/);
  });
});
