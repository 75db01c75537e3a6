import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, type CompilerHost } from "../src/compiler/compile.js";
import type { Diagnostic } from "../src/compiler/diagnostics/diagnostic.js";
import { DIAGNOSTIC_CODES } from "../src/compiler/diagnostics/diagnostic-codes.js";
import { nodeHost } from "../src/compiler/node-host.js";
import type { MaskImage } from "../src/compiler/plan/image-mask.js";
import { decodeMaskImage } from "../src/runtime/guides/mask-image.js";
import { renderDiagnostics } from "../src/cli/diagnostic-text.js";
import { golden, UPDATE_GOLDEN as UPDATE } from "./helpers/golden.js";
import { memoryHost } from "./helpers/memory-host.js";

/**
 * Golden tests for bad scenes: every `*.scene` directly in test/fixtures/bad is compiled with the
 * real file system host and its diagnostics are compared with `NAME.expected.json` beside it.
 * Files in subfolders (imports/, guides/, masks/) are helpers that fixtures import or use as guides and masks.
 *
 * An expected entry is `{ code, severity, line, column, message }` (1-based, in the order the
 * compiler returns them), plus `file` (relative to test/fixtures/bad) when the diagnostic is in
 * another file than the fixture, such as an imported one.
 *
 * Regenerate the expected files with `UPDATE_GOLDEN=1 npx vitest run test/bad-scenes.test.ts`,
 * then read the diff: each diagnostic should point at the mistake and say it plainly.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = "test/fixtures/bad";

/** The fixtures' mask images, decoded as the command line decodes them (beforeAll), by sha256. */
const masks = new Map<string, MaskImage>();

/**
 * nodeHost, with relative paths taken from the repository root whatever the working folder; it
 * answers for the mask images in masks/ as the command line's host does.
 */
const host: CompilerHost = {
  readFile: (file) => nodeHost.readFile(path.resolve(ROOT, file)),
  decodeMask: (image) => {
    const decoded = masks.get(image.sha256);
    return decoded && { ok: true, image: decoded };
  },
};

beforeAll(async () => {
  const folder = path.join(ROOT, FIXTURES, "masks");
  for (const name of readdirSync(folder)) {
    const bytes = new Uint8Array(readFileSync(path.join(folder, name)));
    // A damaged mask (cut-short.png) does not decode: the compiler reports it from its header.
    const image = await decodeMaskImage(bytes, 64 * 64).catch(() => undefined);
    if (image) masks.set(createHash("sha256").update(bytes).digest("hex"), image);
  }
});

interface Expected {
  file?: string;
  code: string;
  severity: string;
  line: number;
  column: number;
  message: string;
}

const fixtureNames = readdirSync(path.join(ROOT, FIXTURES), { withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith(".scene"))
  .map((entry) => entry.name.slice(0, -".scene".length))
  .sort();

function expectedPath(name: string): string {
  return path.join(ROOT, FIXTURES, `${name}.expected.json`);
}

function summarise(scenePath: string, d: Diagnostic): Expected {
  const where = d.location.file === scenePath ? {} : { file: path.posix.relative(FIXTURES, d.location.file.split(path.sep).join("/")) };
  return { ...where, code: d.code, severity: d.severity, line: d.location.start.line, column: d.location.start.column, message: d.message };
}

/** A fixture may lower compiler limits in a comment line: `# limits: maxSourceBytes=100`. */
function fixtureLimits(text: string): Record<string, number> {
  const line = /^# limits:(.*)$/m.exec(text)?.[1] ?? "";
  return Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map(([, key, value]) => [key!, Number(value)]));
}

function compileFixture(name: string) {
  const scenePath = `${FIXTURES}/${name}.scene`;
  const text = readFileSync(path.join(ROOT, scenePath), "utf8");
  return { scenePath, text, result: compile(text, { path: scenePath, host, limits: fixtureLimits(text) }) };
}

function readExpected(name: string): Expected[] {
  return JSON.parse(readFileSync(expectedPath(name), "utf8")) as Expected[];
}

describe("bad scenes", () => {
  it("finds the fixtures", () => {
    expect(fixtureNames.length).toBeGreaterThan(30);
  });

  it.each(fixtureNames)("%s.scene", (name) => {
    const { scenePath, result } = compileFixture(name);
    const actual = result.diagnostics.map((d) => summarise(scenePath, d));

    // Whatever the goldens say: a bad scene has an error and yields no plan.
    expect(result.plan).toBeUndefined();
    expect(result.diagnostics.some((d) => d.severity === "error")).toBe(true);
    for (const d of result.diagnostics) expect(d.severity).toBe(DIAGNOSTIC_CODES[d.code as keyof typeof DIAGNOSTIC_CODES]?.severity);

    const text = `${JSON.stringify(actual, null, 2)}\n`;
    expect(actual).toEqual(JSON.parse(golden(expectedPath(name), text, "npx vitest run test/bad-scenes.test.ts")));
  });

  it("has no expected file without its scene", () => {
    const orphans = readdirSync(path.join(ROOT, FIXTURES))
      .filter((f) => f.endsWith(".expected.json"))
      .map((f) => f.slice(0, -".expected.json".length))
      .filter((name) => !fixtureNames.includes(name));
    expect(orphans).toEqual([]);
  });

  it("covers every diagnostic code of the catalogue", () => {
    const seen = new Set<string>();
    for (const name of fixtureNames) {
      // The goldens when they are checked, the compiler's output when they are being written.
      const entries = UPDATE ? compileFixture(name).result.diagnostics : readExpected(name);
      for (const e of entries) seen.add(e.code);
    }
    const missing = Object.keys(DIAGNOSTIC_CODES).filter((code) => !seen.has(code));
    expect(missing).toEqual([]);
  });

  it("reports at least 4 independent errors, on separate lines, in several-errors.scene", () => {
    const { result } = compileFixture("several-errors");
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    expect(new Set(errors.map((d) => d.location.start.line)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(errors.map((d) => d.code)).size).toBeGreaterThanOrEqual(4);
  });
});

/** Labels, help lines and behaviour that the goldens (code, place, message) do not record. */
describe("bad scenes: details beyond the goldens", () => {
  const only = (name: string, code: string): Diagnostic => {
    const found = compileFixture(name).result.diagnostics.filter((d) => d.code === code);
    expect(found, `${name}: one ${code}`).toHaveLength(1);
    return found[0]!;
  };

  it("S1011 labels the unknown word and keeps the suggestion for the help", () => {
    const d = compileFixture("misspelt-option").result.diagnostics.find((x) => x.message.includes("promt"))!;
    expect(d.label).toBe("unknown option");
    expect(d.help).toBe("did you mean `prompt`?");
  });

  it("S1012 mentions `}` only when a block is open", () => {
    expect(only("unclosed-block", "S1012").help).toContain("`}`");
    const unfinished = only("unfinished-statement", "S1012");
    expect(unfinished.help).not.toContain("}");
    expect(unfinished.help).toContain("a name");
  });

  it("a stray top-level `}` says that no block is open", () => {
    const d = compileFixture("syntax-recovery").result.diagnostics[0]!;
    expect(d.message).toBe("unexpected `}` at the top level");
    expect(d.label).toBe("no block is open here");
  });

  it("S2002 help for a negative position reads as a sentence", () => {
    const d = compileFixture("negative-position").result.diagnostics[0]!;
    expect(d.help).toBe("use x of at least 0 (coordinates start at 0, 0 in the top-left corner)");
  });

  it("S2004 across an import points at the scene's own style, the imported one related", () => {
    const d = only("import-style-clash", "S2004");
    expect(d.location.file).toBe(`${FIXTURES}/import-style-clash.scene`);
    expect(d.related.map((r) => [r.message, r.location.file])).toEqual([
      ["also defined in `test/fixtures/bad/imports/palette.scene`", "test/fixtures/bad/imports/palette.scene"],
    ]);
  });

  it("an imported binary file is one diagnostic", () => {
    const { result } = compileFixture("import-binary");
    expect(result.diagnostics.map((d) => d.code)).toEqual(["S3006"]);
    expect(result.dependencies).toContain("test/fixtures/bad/guides/square-64.png");
  });

  it("an imported text file that is no scene is one S3006 naming its first error, and none of its lines is framed", () => {
    const { result } = compileFixture("import-not-a-scene");
    expect(result.diagnostics.map((d) => d.code)).toEqual(["S3006"]);
    const [d] = result.diagnostics;
    expect(d!.related.map((r) => [r.message, r.location.file, r.location.start.line])).toEqual([
      ["its first syntax error: unknown statement or setting `Meeting` at the top level", "test/fixtures/bad/imports/meeting-notes.txt", 1],
    ]);
    const text = renderDiagnostics(result.diagnostics, result.sources, { color: false });
    expect(text).not.toContain("review");
    expect(text.split("\n").filter((line) => line.includes("│")).every((line) => !line.includes("Meeting"))).toBe(true);
  });

  it("an imported `.env` is one S3006: its values never reach a code frame", () => {
    const text = 'import "settings.env"\ncanvas 64 x 64\nregion a { }\n';
    const files = memoryHost({ "settings.env": "# local\nAPI_KEY=sk-12345\nTOKEN=abcdef\n" });
    const result = compile(text, { path: "a.scene", host: files });
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([["S3006", "`settings.env` does not look like a scene file: it does not start with a statement"]]);
    const shown = renderDiagnostics(result.diagnostics, result.sources, { color: false });
    expect(shown).not.toMatch(/sk-12345|abcdef/);
  });

  it("S1016: a PNG rendered by scenec is one error that suggests `scenec info`, with no code frame", () => {
    const { result } = compileFixture("rendered-picture");
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]!.help).toBe("`scenec info test/fixtures/bad/rendered-picture.scene` prints the scene it was rendered from, `scenec import test/fixtures/bad/rendered-picture.scene -o NAME.scene` saves it as a scene file, `scenec render test/fixtures/bad/rendered-picture.scene` renders it again");
    expect(result.sources.size).toBe(0);
    expect(renderDiagnostics(result.diagnostics, result.sources, { color: false })).toBe(
      [
        "test/fixtures/bad/rendered-picture.scene:1:1: error[S1016]: not a scene file: it is a PNG image rendered by scenec",
        "   = help: `scenec info test/fixtures/bad/rendered-picture.scene` prints the scene it was rendered from, `scenec import test/fixtures/bad/rendered-picture.scene -o NAME.scene` saves it as a scene file, `scenec render test/fixtures/bad/rendered-picture.scene` renders it again",
        "",
        "1 error",
        "",
      ].join("\n"),
    );
  });

  it.each([
    ["NUL bytes", "canvas 64 x 64\0\0region a { }\n", "binary data (it has NUL bytes)", 1, 15],
    ["a GIF image", "GIF89a\u0001\u0000\u0001\u0000", "a GIF image", 1, 1],
    ["a JPEG image", "\ufffd\ufffd\ufffd\ufffd\u0000\u0010JFIF", "a JPEG image", 1, 1],
    ["UTF-16", "\ufffd\ufffdc\u0000a\u0000n\u0000", "UTF-16 text", 1, 1],
    ["a byte that is not UTF-8", "canvas 64 x 64\nregion caf\ufffd { }\n", "not UTF-8 text (it has bytes that are not UTF-8, or a U+FFFD replacement character)", 2, 11],
  ])("S1016: %s is one error that says what the file is", (_, text, what, line, column) => {
    const result = compile(text, { path: "x.scene", host });
    expect(result.diagnostics.map((d) => [d.code, d.message, d.location.start.line, d.location.start.column])).toEqual([["S1016", `not a scene file: it is ${what}`, line, column]]);
  });

  it("S1013 points at the outermost open block too, and S1014 names the limit", () => {
    const deep = only("nesting-too-deep", "S1013");
    expect(deep.related.map((r) => [r.message, r.location.start.line])).toEqual([["the outermost of the open blocks", 3]]);
    expect(only("token-too-long", "S1014").label).toBe("longer than 10,000 characters");
  });

  it("S1015 comes after the first 20 errors, syntax or not, and says the rest is not shown", () => {
    for (const name of ["too-many-errors", "too-many-errors-checks"]) {
      const codes = compileFixture(name).result.diagnostics.map((d) => d.code);
      expect(codes, name).toHaveLength(21);
      expect(codes.indexOf("S1015"), name).toBe(20);
    }
  });

  it("S1001 quotes backticks with double ones (a Markdown file given to check)", () => {
    const result = compile("```scene\ncanvas 64 x 64\n", { path: "x.scene", host });
    expect(result.diagnostics[0]!.message).toBe("unexpected characters `` ``` ``");
  });

  it("the help of one-error syntax mistakes says what to write", () => {
    expect(only("word-for-number", "S1010").help).toBe("for example `guidance 7.5`");
    expect(only("karras-typo", "S1011").help).toBe("did you mean `karras`?");
    expect(only("size-with-units", "S1017").help).toBe("positions and sizes are numbers of pixels, written without `px`");
    expect(only("curly-quotes", "S1001").help).toBe('write `"a blue sky, the sun’s glare"`');
    expect(only("missing-quote", "S1002").help).toBe("close it with `\"` before the `}`, which is inside the string now");
  });

  it("S2023 suggests the noise generator the misspelt name is closest to", () => {
    const d = only("noise-typo", "S2023");
    expect(d.label).toBe("not a noise generator");
    expect(d.help).toBe("did you mean `torch`?");
  });

  it("a main path written `./self.scene` is normalised: importing `self.scene` is a cycle, read once", () => {
    const text = 'import "self.scene"\ncanvas 64 x 64\nregion a { }\n';
    const reads: string[] = [];
    const files = memoryHost({ "self.scene": text });
    const result = compile(text, { path: "./self.scene", host: { readFile: (file) => (reads.push(file), files.readFile(file)) } });
    expect(result.diagnostics.map((d) => d.code)).toEqual(["S3002"]);
    expect(reads).toEqual([]);
  });

  it("paths interpolate styles: `output`, `model` and `guide`", () => {
    const text = [
      'style name "harbour"',
      'style shape "square-64"',
      'output "renders/{name}.png"',
      'model "{name}-v2"',
      "canvas 64 x 64",
      "region sea { }",
      'guide "guides/{shape}.png" { strength 0.5 }',
      "",
    ].join("\n");
    const result = compile(text, { path: `${FIXTURES}/paths.scene`, host });
    expect(result.diagnostics).toEqual([]);
    expect(result.plan?.output).toBe("renders/harbour.png");
    expect(result.plan?.model).toEqual({ kind: "named", name: "harbour-v2" });
    expect(result.plan?.guides.map((g) => g.path)).toEqual(["guides/square-64.png"]);
  });

  it("big grids within the region limit still compile quickly", () => {
    const started = performance.now();
    const grid = compile("canvas 800 x 800\ngrid g { tile 8 x 8 }\n", { path: "grid.scene", host });
    expect(grid.plan?.regions).toHaveLength(10_000);
    const limited = compile("canvas 800 x 800\ngrid g { tile 8 x 8 }\n", { path: "grid.scene", host, limits: { maxRegions: 9_999 } });
    expect(limited.diagnostics.map((d) => d.code)).toEqual(["S2022"]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
