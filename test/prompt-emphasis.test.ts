import { describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import type { Diagnostic } from "../src/compiler/diagnostics/diagnostic.js";
import { readEmphasis } from "../src/compiler/check/prompt-emphasis.js";
import { textParts, type PromptSegment } from "../src/compiler/plan/plan.js";
import { memoryHost } from "./helpers/memory-host.js";

/** A1111's reading, as its `parse_prompt_attention` returns it: [text, weight] pairs, `BREAK` as ["BREAK", -1]. */
type A1111 = [string, number][];

/** Our parts written A1111's way, to compare with its documented results. */
function asA1111(parts: PromptSegment[][]): A1111 {
  const out: A1111 = [];
  parts.forEach((part, i) => {
    if (i > 0) out.push(["BREAK", -1]);
    for (const s of part) out.push([s.text, s.weight]);
  });
  return out;
}

const parts = (text: string) => readEmphasis(text).parts;
const problems = (text: string) => readEmphasis(text).problems.map((p) => `${p.kind} ${p.start}-${p.end}`);

describe("prompt weighting: A1111's own examples (prompt_parser.py docstring)", () => {
  // The table of parse_prompt_attention's doctest, copied: these are A1111's outputs, bit for bit.
  const cases: [string, A1111][] = [
    ["normal text", [["normal text", 1.0]]],
    ["an (important) word", [["an ", 1.0], ["important", 1.1], [" word", 1.0]]],
    ["(unbalanced", [["unbalanced", 1.1]]],
    ["\\(literal\\]", [["(literal]", 1.0]]],
    ["(unnecessary)(parens)", [["unnecessaryparens", 1.1]]],
    [
      "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
      [
        ["a ", 1.0],
        ["house", 1.5730000000000004],
        [" ", 1.1],
        ["on", 1.0],
        [" a ", 1.1],
        ["hill", 0.55],
        [", sun, ", 1.1],
        ["sky", 1.4641000000000006],
        [".", 1.1],
      ],
    ],
  ];
  it.each(cases)("%s", (text, expected) => {
    // "normal text" is plain: the plan leaves out its parts, and textParts gives A1111's one segment.
    const read = parts(text);
    expect(asA1111(textParts({ text, ...(read ? { parts: read } : {}) }))).toEqual(expected);
  });

  it("reads plain text as plain: no parts", () => {
    expect(parts("normal text")).toBeUndefined();
    expect(parts("time: 5pm, a \\ backslash, 100% <3")).toBeUndefined();
    expect(parts("")).toBeUndefined();
  });

  it("still reports what A1111 reads leniently in its examples", () => {
    expect(problems("(unbalanced")).toEqual(["unclosed 0-1"]);
    expect(problems("a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).")).toEqual(["unclosed 2-3"]);
    expect(problems("an (important) word")).toEqual([]);
  });
});

describe("prompt weighting: more cases, computed by hand", () => {
  it("reads grammar/reference.md's worked example as it says", () => {
    expect(parts("a castle, (red banners:1.3), [fog] BREAK ((oil painting)), \\(1890\\)")).toEqual([
      [
        { text: "a castle, ", weight: 1 },
        { text: "red banners", weight: 1.3 },
        { text: ", ", weight: 1 },
        { text: "fog", weight: 1 / 1.1 },
      ],
      [
        { text: "oil painting", weight: 1.1 * 1.1 },
        { text: ", (1890)", weight: 1 },
      ],
    ]);
  });

  it("multiplies nested brackets, innermost first", () => {
    expect(parts("((green))")).toEqual([[{ text: "green", weight: 1.1 * 1.1 }]]);
    expect(parts("[[blue]]")).toEqual([[{ text: "blue", weight: 1 / 1.1 / 1.1 }]]);
    expect(parts("([x])")).toEqual([[{ text: "x", weight: (1 / 1.1) * 1.1 }]]);
    expect(parts("((x:1.5))")).toEqual([[{ text: "x", weight: 1.5 * 1.1 }]]);
  });

  it("reads weights as A1111's pattern does: spaces and signs allowed", () => {
    expect(parts("(red:1.5) fire")).toEqual([[{ text: "red", weight: 1.5 }, { text: " fire", weight: 1 }]]);
    expect(parts("( red : 0.5 )")).toEqual([[{ text: " red ", weight: 0.5 }]]);
    expect(parts("(a:+.5)(b:2.)")).toEqual([[{ text: "a", weight: 0.5 }, { text: "b", weight: 2 }]]);
    expect(parts("(a:b:1.2)")).toEqual([[{ text: "a:b", weight: 1.2 }]]);
  });

  it("keeps escapes as literal characters, and a lone backslash as written", () => {
    expect(parts("\\(a\\) \\[b\\] \\\\")).toEqual([[{ text: "(a) [b] \\", weight: 1 }]]);
    expect(parts("(a\\b)")).toEqual([[{ text: "a\\b", weight: 1.1 }]]);
  });

  it("splits at BREAK, eating the spaces around it, only where BREAK is a word", () => {
    expect(parts("a cat BREAK (a dog)")).toEqual([[{ text: "a cat", weight: 1 }], [{ text: "a dog", weight: 1.1 }]]);
    expect(parts("BREAKFAST, a BREAK")).toEqual([[{ text: "BREAKFAST, a", weight: 1 }], []]);
    expect(parts("a BREAK BREAK b")).toEqual([[{ text: "a", weight: 1 }], [], [{ text: "b", weight: 1 }]]);
    expect(parts("a,BREAK,b")).toEqual([[{ text: "a,", weight: 1 }], [{ text: ",b", weight: 1 }]]);
    expect(parts("éBREAK break")).toBeUndefined();
  });

  it("merges neighbours of equal weight, not across a BREAK", () => {
    expect(parts("(a)(b) BREAK (c)")).toEqual([[{ text: "ab", weight: 1.1 }], [{ text: "c", weight: 1.1 }]]);
    expect(parts("(a:1.1)(b)")).toEqual([[{ text: "ab", weight: 1.1 }]]);
  });

  it("takes extra-network tags out of the text, as A1111 does before weighting", () => {
    expect(parts("a cat, <lora:foo:0.8>, (red:1.5)")).toEqual([[{ text: "a cat, , ", weight: 1 }, { text: "red", weight: 1.5 }]]);
    expect(parts("<hypernet:bar:1>")).toEqual([[]]);
    const tags = readEmphasis("x <lora:foo:0.8> <lyco:b> <hypernet:c:1>").problems;
    expect(tags.map((p) => (p.kind === "extraNetwork" ? `${p.network} ${p.name} ${p.start}` : p.kind))).toEqual(["lora foo 2", "lyco b 17", "hypernet c 26"]);
    // A tag does not hide a bracket problem, and offsets stay those of the text as written.
    expect(problems("<lora:a:1> (x")).toEqual(["extraNetwork 0-10", "unclosed 11-12"]);
  });

  it("finds each kind of mistake at its character", () => {
    expect(problems("a) b")).toEqual(["stray 1-2"]);
    expect(problems("a] b")).toEqual(["stray 1-2"]);
    expect(problems("x:1.5)")).toEqual(["stray 5-6"]);
    expect(problems("[a (b] c)")).toEqual(["crossed 5-6"]);
    expect(problems("(red:abc)")).toEqual(["notANumber 5-8"]);
    expect(problems("(red: oil painting )")).toEqual(["notANumber 6-18"]);
    expect(problems("(red:)")).toEqual(["noWeight 4-5"]);
    expect(problems("(red:1.5.2)")).toEqual(["badNumber 5-10"]);
    expect(problems("(a BREAK b)")).toEqual(["breakInBrackets 3-8"]);
    expect(problems("(a:-1) (b:2.5) (c:0) (d:2)")).toEqual(["weightRange 3-5", "weightRange 10-13"]);
    // A1111's prompt editing (its lark grammar, before weighting), read here as text.
    expect(problems("a [cat:dog:0.5] b [dog: 0.5] [cat|dog|]")).toEqual(["promptEditing 2-15", "promptEditing 18-28", "promptEditing 29-39"]);
    expect(parts("[cat:dog:0.5]")).toEqual([[{ text: "cat:dog:0.5", weight: 1 / 1.1 }]]);
    expect(problems("[a:b] (a|b) [(a:0.5)]")).toEqual([]);
  });

  it("stops at a bracket nested past the limit (which bounds the reading's cost)", () => {
    expect(problems(`${"(".repeat(40)}x`)).toEqual(["tooDeep 32-33"]);
    expect(problems(`${"[a".repeat(32)}${"]".repeat(32)}`)).toEqual([]);
  });

  it("never throws on random brackets, escapes, colons and tags", () => {
    const alphabet = ["(", ")", "[", "]", "\\", ":", "1.5", ".", "-", " ", "a", "BREAK", "<lora:x:1>", "<", ">", "é"];
    let seed = 1;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 500; n++) {
      const text = Array.from({ length: next() % 24 }, () => alphabet[next() % alphabet.length]).join("");
      const read = readEmphasis(text);
      for (const p of read.problems) {
        expect(p.start).toBeGreaterThanOrEqual(0);
        expect(p.end).toBeLessThanOrEqual(text.length);
        expect(p.end).toBeGreaterThan(p.start);
      }
    }
  });
});

/** A scene with these lines after `canvas 512 x 512`; the diagnostics, with the text each one's span covers. */
function diagnose(lines: string, files: Record<string, string> = {}): { diagnostics: Diagnostic[]; covered: string[]; plan: ReturnType<typeof compile>["plan"] } {
  const text = `canvas 512 x 512\n${lines}\n`;
  const all: Record<string, string> = { "/s/main.scene": text, ...files };
  const result = compile(text, { path: "/s/main.scene", host: memoryHost(all) });
  const covered = result.diagnostics.map((d) => `${d.code} ${all[d.location.file]!.slice(d.location.start.offset, d.location.end.offset)}`);
  return { diagnostics: result.diagnostics, covered, plan: result.plan };
}

describe("prompt weighting in the compiler", () => {
  it("puts the parts of a weighted prompt in the plan, and none for a plain one", () => {
    const { plan, diagnostics } = diagnose('negative "blurry"\nregion all { prompt "(red:1.5) fire, [blue], ((green))" }');
    expect(diagnostics).toEqual([]);
    expect(plan!.texts).toEqual([
      {
        text: "(red:1.5) fire, [blue], ((green))",
        parts: [
          [
            { text: "red", weight: 1.5 },
            { text: " fire, ", weight: 1 },
            { text: "blue", weight: 1 / 1.1 },
            { text: ", ", weight: 1 },
            { text: "green", weight: 1.1 * 1.1 },
          ],
        ],
      },
      { text: "blurry" },
    ]);
  });

  it("lets a scene string write A1111's escapes: `\\(` reaches the prompt as a literal bracket", () => {
    const { plan, diagnostics } = diagnose('region all { prompt "a sign reading \\(OPEN\\)" }');
    expect(diagnostics).toEqual([]);
    expect(plan!.texts[0]).toEqual({ text: "a sign reading \\(OPEN\\)", parts: [[{ text: "a sign reading (OPEN)", weight: 1 }]] });
  });

  it("weights a style's brackets like any others", () => {
    const { plan } = diagnose('style glow "(golden light:1.2)"\nregion all { prompt "a field, {glow}" }');
    expect(plan!.texts[0]!.parts).toEqual([[{ text: "a field, ", weight: 1 }, { text: "golden light", weight: 1.2 }]]);
  });

  it("reports a mistake at its character inside the string, past escapes and adjacent strings", () => {
    const { covered, diagnostics } = diagnose('region all { prompt "a \\"sign\\", " "(red:abc) and [x" }');
    expect(covered).toEqual(["S2508 abc", "S2025 ["]);
    expect(diagnostics[0]!.location.start).toMatchObject({ line: 2, column: 42 });
    expect(diagnostics[1]!.help).toBe("close it with `]`, or write `\\[` for a literal bracket");
  });

  it("reports a mistake in a style's body where the style is written, once however many prompts use it", () => {
    const { covered, diagnostics } = diagnose(
      'import "lib.scene"\nregion a { at 0, 0 size 256 x 512 prompt "a, {heavy}" }\nregion b { at 256, 0 size 256 x 512 prompt "b, {heavy}" negative "{heavy}" }',
      { "/s/lib.scene": 'style heavy "(bold:1.5.2)"\n' },
    );
    expect(covered).toEqual(["S2026 1.5.2"]);
    expect(diagnostics[0]!.location.file).toBe("/s/lib.scene");
    expect(diagnostics[0]!.location.start).toMatchObject({ line: 1, column: 20 });
  });

  it("reads a style's text as part of the prompt around it: brackets may open in one and close in the other", () => {
    const { plan, diagnostics } = diagnose('style open "(("\nregion all { prompt "{open}red:1.5) fire)" }');
    expect(diagnostics).toEqual([]);
    expect(plan!.texts[0]!.parts).toEqual([[{ text: "red", weight: 1.5 * 1.1 }, { text: " fire", weight: 1.1 }]]);
    // A mistake that runs from the prompt into a style is shown where it starts.
    const { covered } = diagnose('style w "bc"\nregion all { prompt "(red:a{w})" }');
    expect(covered).toEqual(["S2508 a"]);
  });

  it("reads a colon not followed by a weight as A1111 does, text in a group of 1.1, with a warning", () => {
    const { plan, covered } = diagnose('region all { prompt "a cat, (style: oil painting)" }');
    expect(covered).toEqual(["S2508 oil painting"]);
    expect(plan!.texts[0]!.parts).toEqual([[{ text: "a cat, ", weight: 1 }, { text: "style: oil painting", weight: 1.1 }]]);
  });

  it("warns about an extra-network tag by name and leaves it out of what is encoded", () => {
    const { covered, diagnostics, plan } = diagnose('region all { prompt "a cat <lora:foo:0.8>" negative "<hypernet:bar:1>, <ti:baz>" }');
    expect(covered).toEqual(["S2506 <lora:foo:0.8>", "S2506 <hypernet:bar:1>", "S2506 <ti:baz>"]);
    expect(diagnostics.map((d) => d.message)).toEqual([
      "LoRA `foo` is not supported by scenec; the tag is ignored",
      "hypernetwork `bar` is not supported by scenec; the tag is ignored",
      "extra network `ti` `baz` is not supported by scenec; the tag is ignored",
    ]);
    expect(plan!.texts.map((t) => textParts(t))).toEqual([[[{ text: "a cat ", weight: 1 }]], [[{ text: ", ", weight: 1 }]]]);
  });

  it("checks every place a prompt is written: the scene's negative, a grid's prompts, a cell", () => {
    const { covered } = diagnose(
      'negative "(a"\ngrid g { tile 256 x 512 prompts ["b)", "c"] cell 1, 0 { prompt "[d" } }',
    );
    expect(covered).toEqual(["S2025 (", "S2025 )", "S2025 ["]);
  });

  it("does not check paths: brackets in an output name are just characters", () => {
    expect(diagnose('output "render (1).png"\nregion all { prompt "x" }').diagnostics).toEqual([]);
  });
});
