import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isMainThread } from "node:worker_threads";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, type CompilerHost, type CompileResult, type ReadResult } from "../src/compiler/compile.js";
import type { Location } from "../src/compiler/diagnostics/diagnostic.js";
import { DIAGNOSTIC_CODES } from "../src/compiler/diagnostics/diagnostic-codes.js";
import { KEYWORDS } from "../src/compiler/syntax/tokens.js";
import type { MaskImage } from "../src/compiler/plan/image-mask.js";
import { decodeMaskImage } from "../src/runtime/guides/mask-image.js";
import { runScenec } from "./helpers/scenec-cli.js";

/**
 * Property tests: whatever text it is given, `compile` must not throw, must locate every
 * diagnostic inside the text it belongs to, and must return a plan exactly when it reports no
 * error (a plan with warnings is fine; neither a plan nor an error is not, except for a style
 * library: a file of only styles and imports, which has no plan by design).
 *
 * Inputs: (a) arbitrary unicode strings, (b) soups of the language's tokens, (c) mutations of the
 * example scenes in scenes/, (d) hostile files: deep nesting, huge tokens, error storms, binary
 * data, and the examples with a BOM, CRLF or CR line ends, NUL bytes and bytes that are not
 * UTF-8. Over 20,000 compiles a run, each of which must take under MAX_COMPILE_MS. They run on the
 * main thread of a process like the CLI's (vitest's `forks` pool), whose stack is the CLI's: a
 * test below proves it, since a worker thread's larger stack would hide an overflow the CLI hits.
 * Runs are seeded so CI sees the same inputs every time; a failure
 * prints the seed, path and counterexample to replay it (`{ seed, path, endOnFailure: true }`).
 * For a longer hunt: `FUZZ_SEED=123 FUZZ_RUNS_SCALE=20 npx vitest run test/compiler-fuzz.test.ts`.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SEED = Number(process.env["FUZZ_SEED"] ?? 0x5ce4ec);
const SCALE = Number(process.env["FUZZ_RUNS_SCALE"] ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

// ---------------------------------------------------------------------------------------------
// A host that serves the files of scenes/ (imports and guide images of the examples) from memory.

function filesUnder(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return filesUnder(relative);
    return entry.isFile() ? [relative] : [];
  });
}

const SCENE_FILES = new Map<string, Uint8Array>(filesUnder("scenes").map((file) => [file, readFileSync(path.join(ROOT, file))]));

/** The PNGs of scenes/ (masks and guides alike: any image is a mask) decoded as masks, by sha256 (beforeAll). */
const MASKS = new Map<string, MaskImage>();
beforeAll(async () => {
  for (const [file, bytes] of SCENE_FILES)
    if (file.endsWith(".png")) MASKS.set(createHash("sha256").update(bytes).digest("hex"), await decodeMaskImage(bytes, 128_000_000));
});

const scenesHost: CompilerHost = {
  readFile(file: string): ReadResult {
    const bytes = SCENE_FILES.get(path.posix.normalize(file.split(path.sep).join("/")));
    return bytes ? { ok: true, bytes } : { ok: false, reason: "missing", message: "no such file" };
  },
  decodeMask(image) {
    const decoded = MASKS.get(image.sha256);
    return decoded && { ok: true, image: decoded };
  },
};

const EXAMPLES = [...SCENE_FILES.keys()]
  .filter((file) => /^scenes\/[^/]+\.scene$/.test(file))
  .sort()
  .map((file) => ({ path: file, text: new TextDecoder().decode(SCENE_FILES.get(file)) }));

// ---------------------------------------------------------------------------------------------
// The properties, and the known bugs they tolerate.

/**
 * Compiler bugs this fuzzer has found and that are not fixed yet, each with a minimal scene. While
 * one is listed, inputs that throw its error are skipped (so the properties keep guarding against
 * everything else) and its scene is an `it.fails` test below: when the bug is fixed that test
 * fails, and the entry should be removed. FUZZ_STRICT=1 skips nothing.
 */
const KNOWN_BUGS: { title: string; scene: string; thrown: RegExp }[] = [];
const STRICT = process.env["FUZZ_STRICT"] === "1";

/**
 * Bugs this fuzzer found that are fixed: each scene must compile without throwing (or hanging) and
 * report the listed error codes. test/fixtures/bad has a golden fixture for most of them too.
 */
const FIXED_BUGS: { title: string; scene: string; codes: string[] }[] = [
  {
    title: "a scene with only a whole-canvas guide and no `canvas` (0 x 0 canvas in the plan)",
    scene: 'guide "guides/postcard-sea.png"\n',
    codes: ["S2017"],
  },
  {
    title: "a scene with only a placed guide and no `canvas` (was S2002, outside the 0 x 0 canvas)",
    scene: 'guide "guides/postcard-sea.png" { at 0, 0 size 64 x 64 }\n',
    codes: ["S2017"],
  },
  {
    title: "a region without `size` whose `at` is on or past the canvas edge (size <= 0)",
    scene: "canvas 64 x 64\nregion a { at 64, 0 }\nregion b { }\n",
    codes: ["S2002"],
  },
  {
    title: "a region without `size` at the bottom-right corner (was a RangeError in the dominance check)",
    scene: "canvas 64 x 64\nregion a { at 64, 64 }\nregion b { }\n",
    codes: ["S2002"],
  },
  { title: '`output ""` (empty output path in the plan)', scene: 'canvas 64 x 64\noutput ""\nregion a { }\n', codes: ["S2010"] },
  { title: '`model ""` (empty model name in the plan)', scene: 'canvas 64 x 64\nmodel ""\nregion a { }\n', codes: ["S2010"] },
  {
    title: "a grid of more than ~120 000 cells (RangeError from regions.push(...cells))",
    scene: "canvas 3840 x 2160\ngrid g { tile 16 x 16  overlap 8 x 8 }\n",
    codes: ["S2022"],
  },
  {
    title: "a grid of 10^12 cells (hung building them)",
    scene: "grid g { tile 8 x 8 columns 1000000 rows 1000000 }\n",
    codes: ["S2022"],
  },
  {
    title: "a grid that starts past the canvas edge (was S2011, never span exactly -256 pixels)",
    scene: "canvas 512x512 grid g { at 768,0 tile 256x256 }\n",
    codes: ["S2002"],
  },
  { title: "`steps 1e400` (was S2019, write `Infinity`)", scene: "canvas 64 x 64\nsteps 1e400\nregion a { }\n", codes: ["S2010"] },
  { title: "`at 1e400, 0` (was S2001, use `Infinity`)", scene: "canvas 64 x 64\nregion a { at 1e400, 0 }\n", codes: ["S2010"] },
];

/** What is wrong with a location, or nothing (no `expect` per field: some inputs give thousands of diagnostics). */
function locationProblems(result: CompileResult, location: Location, what: string): string[] {
  const source = result.sources.get(location.file);
  if (!source) return [`${what}: no source for ${location.file}`];
  const text = source.text;
  const lines = text.split(/\r\n|\r|\n/);
  const problems: string[] = [];
  for (const [end, p] of [["start", location.start], ["end", location.end]] as const) {
    const at = `${what} ${end} ${JSON.stringify(p)}`;
    if (![p.line, p.column, p.offset].every(Number.isInteger)) problems.push(`${at}: not integers`);
    else if (p.line < 1 || p.line > lines.length + 1) problems.push(`${at}: line outside 1..${lines.length + 1}`);
    else if (p.column < 1 || p.column > (lines[p.line - 1] ?? "").length + 1) problems.push(`${at}: column outside its line`);
    else if (p.offset < 0 || p.offset > text.length) problems.push(`${at}: offset outside the text`);
  }
  if (location.end.offset < location.start.offset) problems.push(`${what}: ends before it starts`);
  return problems;
}

/** The longest a single compile may take (the bound; most take a millisecond). */
const MAX_COMPILE_MS = 2_000;

function compileAndCheck(text: string, scenePath: string): void {
  let result: CompileResult;
  const started = performance.now();
  try {
    result = compile(text, { path: scenePath, host: scenesHost });
  } catch (error) {
    const message = String(error);
    fc.pre(STRICT || !KNOWN_BUGS.some((bug) => bug.thrown.test(message)));
    throw new Error(`compile threw on ${JSON.stringify(text)}: ${(error as Error).stack ?? message}`);
  }
  const elapsed = performance.now() - started;
  const problems: string[] = [];
  if (elapsed > MAX_COMPILE_MS) problems.push(`took ${Math.round(elapsed)} ms`);
  // A file that is not a scene (S1016) is its one diagnostic, and has no source to frame.
  const notAScene = result.diagnostics.length === 1 && result.diagnostics[0]!.code === "S1016";
  if (notAScene && result.sources.size > 0) problems.push("S1016 with sources");
  if (!notAScene && result.sources.get(scenePath)?.text !== text) problems.push("the scene is not among the sources");
  for (const [i, d] of result.diagnostics.entries()) {
    const what = `diagnostic ${i} (${d.code} ${d.message})`;
    if (DIAGNOSTIC_CODES[d.code as keyof typeof DIAGNOSTIC_CODES]?.severity !== d.severity) problems.push(`${what}: unknown code or wrong severity`);
    if (d.message.length === 0) problems.push(`${what}: empty message`);
    if (d.message.length > 1000) problems.push(`${what}: a message of ${d.message.length} characters`);
    if (d.code === "S1016" && !notAScene) problems.push(`${what}: S1016 with other diagnostics`);
    if (notAScene) continue;
    problems.push(...locationProblems(result, d.location, what));
    for (const r of d.related) problems.push(...locationProblems(result, r.location, `${what}, related "${r.message}"`));
  }
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  // Either a plan or at least one error, never both and never neither (a plan with warnings is
  // fine; a style library has neither, and says so).
  if (result.plan && errors > 0) problems.push(`a plan despite ${errors} errors`);
  if (result.plan && result.library) problems.push("a plan for a style library");
  if (!result.plan && errors === 0 && !result.library) problems.push(`neither a plan nor an error: ${JSON.stringify(result.diagnostics.map((d) => d.code))}`);
  const shown = JSON.stringify(text.length > 2000 ? `${text.slice(0, 2000)}…` : text);
  expect(problems, `compiling ${shown}: ${problems.join("; ")}`).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// (a) Arbitrary unicode.

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const sceneChar = fc.constantFrom(..."{}[]\",\\#\n\r\t x×X0123456789-.eabz_".split(""), "\r\n", "\u00a0", "\ufeff", "\u2028");
const unicodeText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 120 }),
  fc.string({ unit: "grapheme", maxLength: 80 }),
  fc.string({ unit: "binary-ascii", maxLength: 120 }),
  fc.string({ unit: fc.oneof(sceneChar, loneSurrogate), maxLength: 120 }),
);

// ---------------------------------------------------------------------------------------------
// (b) Token soups.

const NAMES = ["sky", "sea", "a", "tile", "region", "x", "_b-2", "finish", "mosaic", "ukiyo_e"];
const VALUE_WORDS = ["lms", "euler", "euler_ancestral", "ddim", "dpmpp_2m", "eulr_a", "gaussian", "quartic", "constant", "gausian", "stretch", "cover", "contain", "crop", "karras"];
const PATHS = ["guides/postcard-sea.png", "guides/outpaint-center.png", "styles/art.scene", "postcard.scene", "missing.png", "guides", "out.png", "", "../scenes/styles/art.scene"];

const numberToken = fc.oneof(
  fc.constantFrom("0", "1", "2", "3", "8", "16", "30", "64", "256", "512", "1024", "-8", "-1", "7.5", "0.5", "1.", ".5", "1e3", "1e400", "-0", "0.8", "99999999999999999999", "9007199254740991"),
  fc.integer({ min: 0, max: 128 }).map((n) => String(n * 8)),
);
const sizeToken = fc
  .tuple(fc.constantFrom("8", "64", "256", "512", "640", "480", "1024", "0", "-8", "7", "1.5", "20000"), fc.constantFrom(" x ", "x", " X ", "×", " × ", "\tx\t"), fc.constantFrom("8", "64", "256", "512", "480", "640", "1024", "0", "-8", "5", "2.5"))
  .map(([w, sep, h]) => `${w}${sep}${h}`);
const stringBody = fc.oneof(
  fc.constantFrom("a blue sky", "{finish}", "{sky}", "{ukiyo_e}", "{bad name}", "{", "}", "\\{", "\\}", "\\n", "\\\"", "\\\\", "\\t", "\\"),
  fc.constantFrom(...PATHS),
  fc.string({ unit: fc.constantFrom(..."ab {}\\\"n_".split("")), maxLength: 8 }),
  // Prompt weighting (prompt-emphasis.ts): well-formed, malformed, and random brackets.
  fc.constantFrom("(red:1.5)", "((a))", "[b]", "(a", "b)", "[a (b] c)", "\\(", "\\]", "(x:abc)", "(x:)", "(x:1.5.2)", "(x:-1)", "a BREAK b", "(a BREAK b)", "<lora:foo:0.8>", "<x:>"),
  fc.string({ unit: fc.constantFrom(..."a ()[]:.15\\<>".split(""), "\\(", "BREAK", "<lora:a:1>"), maxLength: 12 }),
);
const stringToken = fc.tuple(stringBody, fc.constantFrom('"', '"', '"', "")).map(([body, close]) => `"${body}${close}`);
const nameToken = fc.oneof(fc.constantFrom(...NAMES, ...VALUE_WORDS), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,6}$/));
const token = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KEYWORDS) },
  { weight: 3, arbitrary: numberToken },
  { weight: 2, arbitrary: sizeToken },
  { weight: 3, arbitrary: stringToken },
  { weight: 3, arbitrary: fc.constantFrom("{", "}", "{", "}", "[", "]", ",", "(", ")") },
  { weight: 3, arbitrary: nameToken },
  { weight: 1, arbitrary: fc.constantFrom("# a comment\n", "@", ";", "\u00a0") },
);
/** Short runs of tokens that often go together, so that soups also reach the checks after parsing. */
const option = fc.oneof(
  fc.tuple(fc.constantFrom("size", "tile", "overlap"), sizeToken).map(([k, size]) => `${k} ${size}`),
  fc.tuple(fc.constantFrom("at", "cell"), numberToken, fc.constantFrom(", ", " ", ","), numberToken).map(([k, x, sep, y]) => `${k} ${x}${sep}${y}`),
  fc.tuple(fc.constantFrom("seed", "steps", "guidance", "weight", "columns", "rows", "strength"), numberToken).map(([k, n]) => `${k} ${n}`),
  fc.tuple(fc.constantFrom("prompt", "negative", "model", "output", "style x", "import"), stringToken).map(([k, text]) => `${k} ${text}`),
  fc.tuple(fc.constantFrom("scheduler", "blend", "fit"), nameToken).map(([k, name]) => `${k} ${name}`),
  fc.array(stringToken, { maxLength: 4 }).map((items) => `prompts [${items.join(", ")}]`),
);

// Mostly valid values, in the options each block allows: these soups often compile to a plan.
const multipleOf8 = (max: number) => fc.integer({ min: 0, max: max / 8 }).map((n) => String(n * 8));
const goodSize = fc.tuple(fc.integer({ min: 1, max: 96 }), fc.integer({ min: 1, max: 96 })).map(([w, h]) => `${w * 8} x ${h * 8}`);
const goodText = fc.constantFrom('"a blue sky"', '"a calm sea, {finish}"', '"{ukiyo_e}"', '"a" "b"', '""', '"(red:1.5) fire, [blue], ((green))"', '"a \\(sign\\) BREAK {finish}"');
const paintOption = fc.oneof(
  goodText.map((t) => `prompt ${t}`),
  goodText.map((t) => `negative ${t}`),
  fc.constantFrom("0", "7.5", "50", "12").map((n) => `guidance ${n}`),
  fc.constantFrom("gaussian", "quartic", "constant").map((n) => `blend ${n}`),
  fc.constantFrom("1", "0.001", "2", "100").map((n) => `weight ${n}`),
  fc.constantFrom("0", "42", "9007199254740991").map((n) => `seed ${n}`),
);
const atOption = fc.tuple(multipleOf8(512), multipleOf8(512)).map(([x, y]) => `at ${x}, ${y}`);
// Shapes: corners in and out of the region, crossing or not, too few, tiny or wide feathers.
const shapePoint = fc.tuple(fc.integer({ min: -8, max: 800 }), fc.integer({ min: -8, max: 800 })).map(([x, y]) => `(${x}, ${y})`);
const shapeOption = fc
  .tuple(fc.constantFrom("ellipse", "polygon", "polygon", "circle"), fc.array(shapePoint, { maxLength: 7 }), fc.constantFrom("", " feather 0", " feather 16", " feather 1000", " feather -1"), fc.constantFrom("", " invert"))
  .map(([kind, points, feather, invert]) => `shape ${kind} ${points.join(" ")}${feather}${invert}`);
// Masks: images of every kind (a mask, colour guides), paths that are no image or not there, fits
// known and not, tiny or wide feathers, invert.
const maskOption = fc
  .tuple(
    fc.constantFrom("masks/arch.png", "masks/arch.png", "guides/postcard-sea.png", "guides/outpaint-center.png", "missing.png", "styles/art.scene", "guides", "../scenes/masks/arch.png"),
    fc.constantFrom("", " fit cover", " fit contain", " fit stretch", " fit crop"),
    fc.constantFrom("", " feather 0", " feather 16", " feather 1000", " feather -1"),
    fc.constantFrom("", " invert"),
  )
  .map(([file, fit, feather, invert]) => `mask "${file}"${fit}${feather}${invert}`);
const regionOption = fc.oneof(paintOption, atOption, goodSize.map((size) => `size ${size}`), shapeOption, maskOption);
const gridOption = fc.oneof(
  paintOption,
  atOption,
  goodSize.map((size) => `tile ${size}`),
  fc.tuple(multipleOf8(256), multipleOf8(256)).map(([x, y]) => `overlap ${x} x ${y}`),
  fc.integer({ min: 1, max: 6 }).map((n) => `columns ${n}`),
  fc.integer({ min: 1, max: 6 }).map((n) => `rows ${n}`),
  fc.array(goodText, { maxLength: 6 }).map((items) => `prompts [${items.join(", ")}]`),
  fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.array(fc.oneof(paintOption, shapeOption, maskOption), { maxLength: 2 })).map(([c, r, o]) => `cell ${c}, ${r} { ${o.join(" ")} }`),
);
const guideOption = fc.oneof(
  atOption,
  goodSize.map((size) => `size ${size}`),
  fc.constantFrom("stretch", "cover", "contain").map((f) => `fit ${f}`),
  fc.constantFrom("0", "0.5", "1").map((n) => `strength ${n}`),
  shapeOption,
  maskOption,
);
const statement = fc.oneof(
  goodSize.map((size) => `canvas ${size}`),
  fc.constantFrom('style finish "detailed"', 'import "styles/art.scene"', "steps 20", "scheduler euler karras", 'model "sd15"', 'output "out.png"'),
  fc.tuple(nameToken, fc.array(regionOption, { maxLength: 4 })).map(([name, o]) => `region ${name} { ${o.join("\n")} }`),
  fc.tuple(nameToken, fc.array(gridOption, { maxLength: 5 })).map(([name, o]) => `grid ${name} { ${o.join("\n")} }`),
  fc.tuple(fc.constantFrom("guides/postcard-sea.png", "guides/outpaint-center.png"), fc.array(guideOption, { maxLength: 3 })).map(([f, o]) => `guide "${f}" { ${o.join(" ")} }`),
);

const phrase = fc.oneof(
  option,
  statement,
  sizeToken.map((size) => `canvas ${size}`),
  fc.tuple(fc.constantFrom("region", "grid"), nameToken).map(([k, name]) => `${k} ${name} {`),
  fc.constantFrom(...PATHS).map((file) => `guide "${file}"`),
  // A whole block, braces balanced, with random options inside.
  fc
    .tuple(fc.constantFrom("region", "grid", "guide"), fc.oneof(nameToken, fc.constantFrom(...PATHS).map((f) => `"${f}"`)), fc.array(option, { maxLength: 5 }))
    .map(([k, name, options]) => `${k} ${name} { ${options.join("\n")} }`),
);
const separator = fc.constantFrom(" ", " ", " ", "\n", "\r\n", "\t", "");
const soupOf = (piece: fc.Arbitrary<string>, maxLength: number) =>
  fc.array(fc.tuple(piece, separator), { maxLength }).map((pairs) => pairs.map(([t, s]) => t + s).join(""));
const tokenSoup = fc.oneof(
  soupOf(fc.oneof({ weight: 3, arbitrary: token }, { weight: 2, arbitrary: phrase }), 40),
  // Mostly whole phrases and blocks: fewer syntax errors, so more soups reach the geometry checks.
  soupOf(fc.oneof({ weight: 1, arbitrary: token }, { weight: 8, arbitrary: phrase }), 12),
  // Well-formed statements only: these soups often compile, which exercises the planner.
  soupOf(statement, 6),
);

// ---------------------------------------------------------------------------------------------
// (c) Mutations of the example scenes.

type Mutation =
  | { kind: "delete"; a: number; b: number }
  | { kind: "duplicate"; a: number; b: number; at: number }
  | { kind: "swap"; a: number; b: number; c: number; d: number }
  | { kind: "insert"; at: number; token: string }
  | { kind: "digit"; which: number; digit: number };

const position = fc.nat({ max: 1_000_000 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), a: position, b: position }),
  fc.record({ kind: fc.constant("duplicate" as const), a: position, b: position, at: position }),
  fc.record({ kind: fc.constant("swap" as const), a: position, b: position, c: position, d: position }),
  fc.record({ kind: fc.constant("insert" as const), at: position, token: fc.tuple(token, separator).map(([t, s]) => ` ${t}${s}`) }),
  fc.record({ kind: fc.constant("digit" as const), which: position, digit: fc.integer({ min: 0, max: 9 }) }),
);

/** Two sorted offsets in [0, length]. */
function range(length: number, a: number, b: number): [number, number] {
  const x = a % (length + 1);
  const y = b % (length + 1);
  return x <= y ? [x, y] : [y, x];
}

function mutate(text: string, m: Mutation): string {
  const n = text.length;
  switch (m.kind) {
    case "delete": {
      const [a, b] = range(n, m.a, m.b);
      return text.slice(0, a) + text.slice(b);
    }
    case "duplicate": {
      const [a, b] = range(n, m.a, m.b);
      const at = m.at % (n + 1);
      return text.slice(0, at) + text.slice(a, b) + text.slice(at);
    }
    case "swap": {
      const [a, b, c, d] = [m.a, m.b, m.c, m.d].map((x) => x % (n + 1)).sort((x, y) => x - y) as [number, number, number, number];
      return text.slice(0, a) + text.slice(c, d) + text.slice(b, c) + text.slice(a, b) + text.slice(d);
    }
    case "insert": {
      const at = m.at % (n + 1);
      return text.slice(0, at) + m.token + text.slice(at);
    }
    case "digit": {
      const digits = [...text.matchAll(/\d/g)].map((match) => match.index);
      if (digits.length === 0) return text;
      const at = digits[m.which % digits.length]!;
      return text.slice(0, at) + String(m.digit) + text.slice(at + 1);
    }
  }
}

const mutatedExample = fc
  .tuple(fc.nat({ max: EXAMPLES.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([i, mutations]) => ({ path: EXAMPLES[i]!.path, text: mutations.reduce(mutate, EXAMPLES[i]!.text) }));

// ---------------------------------------------------------------------------------------------
// (d) Hostile files.

const blockOpener = fc.constantFrom("region r {", "grid g {", "cell 0, 0 {", 'guide "g.png" {', "{", "cell 1,1{", "region a { at 0, 0", "prompts [");
/** Blocks opened up to 400 deep (the parser recursed once per level), closed or not. */
const deepNesting = fc
  .tuple(fc.integer({ min: 1, max: 400 }), fc.array(blockOpener, { minLength: 1, maxLength: 4 }), fc.constantFrom("\n", " ", ""), fc.constantFrom("", "}", "} ", "]"))
  .map(([depth, openers, sep, closer]) => `canvas 512 x 512${sep}${Array.from({ length: depth }, (_, i) => openers[i % openers.length]).join(sep)}${closer.repeat(depth)}`);

/** A token of 5,000 to 40,000 characters (the limit is 10,000) in the places tokens go. */
const hugeToken = fc
  .tuple(
    fc.constantFrom('"', "\u201c", "'", "", "9", "-", "512x", "{"),
    fc.integer({ min: 5_000, max: 40_000 }),
    fc.constantFrom("a", '\\"', "9", " ", "{x}", "\\", "x", "\t"),
    fc.constantFrom('"', "", "\u201d", " }", "px"),
    fc.constantFrom("region r { prompt ", "steps ", "region ", "at ", "style s ", "", "canvas "),
  )
  .map(([open, length, unit, close, before]) => `canvas 512 x 512\n${before}${open}${unit.repeat(Math.ceil(length / unit.length))}${close}\n`);

/** One phrase repeated hundreds of times: `region a {` × 3200 took 51 s and printed 6,399 errors. */
const errorStorm = fc
  .tuple(fc.oneof(phrase, token, fc.constantFrom("region a {", "} ", "guidance high\n", "- item: milk;\n", "\u201cx\u201d ")), separator, fc.integer({ min: 100, max: 2_000 }))
  .map(([piece, sep, times]) => (piece + sep).repeat(times));

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
/** Bytes decoded as the CLI decodes a file (UTF-8, bytes that are not UTF-8 become U+FFFD, a BOM dropped). */
const decode = (bytes: Uint8Array): string => new TextDecoder("utf-8").decode(bytes);

const SIGNATURES = [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0xff, 0xd8, 0xff, 0xe0], utf8("GIF89a"), utf8("RIFF\0\0\0\0WEBP"), [0xff, 0xfe], [0xef, 0xbb, 0xbf], []];
/** Random bytes, after an image signature or none: what `scenec check picture.png` reads. */
const binaryFile = fc
  .tuple(fc.constantFrom(...SIGNATURES), fc.uint8Array({ maxLength: 3_000 }), fc.boolean())
  .map(([signature, body, asText]) => decode(new Uint8Array([...signature, ...(asText ? utf8(decode(body).replace(/[\0\ufffd]/g, "")) : body)])));

type Damage = "bom" | "crlf" | "cr" | "nul" | "bytes" | "surrogate" | "separators";
/** An example scene with its encoding damaged: what editors and downloads do to files. */
const damagedExample = fc
  .tuple(fc.nat({ max: EXAMPLES.length - 1 }), fc.array(fc.constantFrom<Damage>("bom", "crlf", "cr", "nul", "bytes", "surrogate", "separators"), { minLength: 1, maxLength: 3 }), position, fc.uint8Array({ minLength: 1, maxLength: 4 }))
  .map(([i, damages, at, bytes]) => {
    let text = EXAMPLES[i]!.text;
    for (const damage of damages) {
      const cut = at % (text.length + 1);
      if (damage === "bom") text = `\ufeff${text}`;
      else if (damage === "crlf") text = text.replace(/\r?\n/g, "\r\n");
      else if (damage === "cr") text = text.replace(/\r?\n/g, "\r");
      else if (damage === "nul") text = `${text.slice(0, cut)}\0${text.slice(cut)}`;
      else if (damage === "surrogate") text = `${text.slice(0, cut)}\ud800${text.slice(cut)}`;
      else if (damage === "separators") text = text.replace(/\n/g, "\u2028");
      else {
        const encoded = utf8(text);
        const byteCut = at % (encoded.length + 1);
        text = decode(new Uint8Array([...encoded.subarray(0, byteCut), ...bytes.map((b) => b | 0x80), ...encoded.subarray(byteCut)]));
      }
    }
    return { path: EXAMPLES[i]!.path, text };
  });

// ---------------------------------------------------------------------------------------------

describe("compiler fuzzing", () => {
  it("has examples to mutate, and they compile cleanly", () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(3);
    for (const example of EXAMPLES) {
      compileAndCheck(example.text, example.path);
      expect(compile(example.text, { path: example.path, host: scenesHost }).plan).toBeDefined();
    }
  });

  it("(a) survives arbitrary unicode text", () => {
    fc.assert(
      fc.property(unicodeText, (text) => compileAndCheck(text, "scenes/fuzz.scene")),
      { seed: SEED, numRuns: runs(4000) },
    );
  });

  it("(b) survives soups of the language's tokens", () => {
    fc.assert(
      fc.property(tokenSoup, (text) => compileAndCheck(text, "scenes/fuzz.scene")),
      { seed: SEED + 1, numRuns: runs(5000) },
    );
  });

  it("(c) survives mutations of the example scenes", () => {
    fc.assert(
      fc.property(mutatedExample, ({ path: scenePath, text }) => compileAndCheck(text, scenePath)),
      { seed: SEED + 2, numRuns: runs(5000) },
    );
  });

  it("(d) survives deep nesting", () => {
    fc.assert(fc.property(deepNesting, (text) => compileAndCheck(text, "scenes/fuzz.scene")), { seed: SEED + 3, numRuns: runs(1500) });
  });

  it("(d) survives huge tokens", () => {
    fc.assert(fc.property(hugeToken, (text) => compileAndCheck(text, "scenes/fuzz.scene")), { seed: SEED + 4, numRuns: runs(300) });
  });

  it("(d) survives error storms", () => {
    fc.assert(fc.property(errorStorm, (text) => compileAndCheck(text, "scenes/fuzz.scene")), { seed: SEED + 5, numRuns: runs(300) });
  });

  it("(d) survives binary files", () => {
    fc.assert(fc.property(binaryFile, (text) => compileAndCheck(text, "scenes/fuzz.scene")), { seed: SEED + 6, numRuns: runs(2000) });
  });

  it("(d) survives a BOM, CRLF and CR line ends, NUL bytes, bytes that are not UTF-8", () => {
    fc.assert(fc.property(damagedExample, ({ path: scenePath, text }) => compileAndCheck(text, scenePath)), { seed: SEED + 7, numRuns: runs(2500) });
  });

  it("survives the issue's 10 MB inputs, each compiled in under 2 s", () => {
    const ten = 10_000_000;
    const inputs = [
      `canvas 512 x 512\nregion r { prompt "${"a".repeat(ten)}" }\n`,
      `canvas 512 x 512\nregion r { prompt "${"a\\\"".repeat(ten / 3)}\n`,
      `canvas 512 x 512\nregion ${"a".repeat(ten)} { }\n`,
      `canvas 512 x 512\nsteps ${"9".repeat(ten)}\nregion a { }\n`,
      `#${"a".repeat(ten)}\ncanvas 512 x 512\nregion a { }\n`,
      `${" ".repeat(ten)}\ncanvas 512 x 512\nregion a { }\n`,
      `canvas 512 x 512\nregion r {\n${"cell 0, 0 {\n".repeat(100_000)}`,
      "region a {".repeat(100_000),
    ];
    for (const text of inputs) compileAndCheck(text, "scenes/fuzz.scene");
  });
});

describe("the fuzzing runs at the CLI's stack size", () => {
  /** How deep a trivial function recurses before the stack overflows: a measure of the stack. */
  const PROBE = "let depth = 0; const down = () => { depth += 1; down(); }; try { down(); } catch {} return depth;";

  it("on a main thread whose stack is no larger than a plain `node` process's (bin/scenec.js sets no stack size)", () => {
    expect(readFileSync(path.join(ROOT, "bin/scenec.js"), "utf8")).not.toMatch(/stack[-_]size/i);
    expect(isMainThread, "vitest must run this file in a process (pool: forks), not a worker thread").toBe(true);
    const here = new Function(PROBE)() as number;
    const env = { ...process.env };
    delete env["NODE_OPTIONS"];
    const cli = Number(execFileSync(process.execPath, ["-e", `console.log((() => { ${PROBE} })())`], { env }).toString());
    expect(here).toBeGreaterThan(1000);
    expect(here).toBeLessThanOrEqual(cli * 1.1);
  });

  it("and the CLI itself gives 160 nested blocks, a PNG and a README a few errors each, without an internal error", async () => {
    const files = ["test/fixtures/bad/nesting-too-deep.scene", "test/fixtures/bad/rendered-picture.scene", "README.md", "test/fixtures/bad/too-many-errors.scene"];
    const run = await runScenec(["check", ...files], { cwd: ROOT });
    expect(run.stderr).not.toContain("internal error");
    expect(run.status).toBe(1);
    const headers = run.stderr.split("\n").filter((line) => /^\S.*: (error|warning)\[S\d{4}\]/.test(line));
    const count = (file: string, code?: string) => headers.filter((h) => h.startsWith(`${file}:`) && (!code || h.includes(`[${code}]`))).length;
    expect([count(files[0]!), count(files[0]!, "S1013")]).toEqual([1, 1]);
    expect([count(files[1]!), count(files[1]!, "S1016")]).toEqual([1, 1]);
    expect(run.stderr).toContain(`help: \`scenec info ${files[1]}\` prints the scene it was rendered from`);
    expect([count(files[2]!), count(files[2]!, "S1015")]).toEqual([21, 1]);
    expect([count(files[3]!), count(files[3]!, "S1015")]).toEqual([21, 1]);
    expect(run.stderr.length).toBeLessThan(20_000);
  });
});

describe("fixed compiler bugs", () => {
  it.each(FIXED_BUGS)("$title", ({ scene, codes }) => {
    const result = compile(scene, { path: "scenes/fuzz.scene", host: scenesHost });
    expect(result.plan).toBeUndefined();
    const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
    expect(errors).toEqual(expect.arrayContaining(codes));
  });
});

describe("known compiler bugs (remove an entry of KNOWN_BUGS when its test starts failing)", () => {
  it.fails.each(KNOWN_BUGS)("$title", ({ scene }) => {
    const result = compile(scene, { path: "scenes/fuzz.scene", host: scenesHost });
    expect(result.diagnostics.some((d) => d.severity === "error") || result.plan !== undefined || result.library === true).toBe(true);
  });

  it("the known bugs still throw what KNOWN_BUGS says", () => {
    for (const bug of KNOWN_BUGS) {
      let thrown = "";
      try {
        compile(bug.scene, { path: "scenes/fuzz.scene", host: scenesHost });
      } catch (error) {
        thrown = String(error);
      }
      // A bug that no longer throws is fixed: remove its entry (its it.fails test fails too).
      if (thrown) expect(thrown).toMatch(bug.thrown);
    }
  });
});
