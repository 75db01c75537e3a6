import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BLEND_KERNELS, FIT_MODES, GRID_TILINGS, NOISE_GENERATORS, SCHEDULER_NAMES, SHAPE_KINDS } from "../src/compiler/plan/plan.js";

/**
 * The reference lists the schedulers, blend kernels and fit modes where it explains them: each list
 * is the compiler's (src/compiler/plan/plan.ts), in its order, so that a new name is documented.
 */
const reference = readFileSync(new URL("../grammar/reference.md", import.meta.url), "utf8");
const lines = reference.split("\n");

/** The words in backticks in `text`, in order. */
const backticked = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** The one line that starts with `start` and passes `filter`. */
function lineStartingWith(start: string, filter = (_line: string) => true): string {
  const found = lines.filter((line) => line.trimStart().startsWith(start) && filter(line));
  expect(found, start).toHaveLength(1);
  return found[0]!;
}

/** The meaning column of the settings table's row for `setting` (setting | default | meaning). */
const settingMeaning = (setting: string): string =>
  lineStartingWith(`| \`${setting}\` |`, (line) => line.split("|").length === 5).split("|")[3]!;

/** The names after `# ` in an example's comment `# a | b | c`, on the line that starts with `option`. */
const commentAlternatives = (option: string): string[] => lineStartingWith(option).split("# ")[1]!.split(";")[0]!.split(" | ").map((w) => w.trim());

/** The names a diagnostic's entry says the value is none of: `... names none of `a`, `b`, `c``. */
function noneOf(code: string): string[] {
  const entry = reference.split(/^### /m).find((section) => section.startsWith(`${code} `));
  const list = entry?.match(/names none of ((?:`[^`]+`(?:, )?)+)/);
  expect(list, code).not.toBeNull();
  return backticked(list![1]!);
}

describe("the reference's vocabularies (grammar/reference.md)", () => {
  it("lists the compiler's schedulers", () => {
    expect(backticked(settingMeaning("scheduler NAME [karras]").split(";")[0]!)).toEqual(SCHEDULER_NAMES);
    expect(noneOf("S2007")).toEqual(SCHEDULER_NAMES);
  });

  it("lists the compiler's blend kernels", () => {
    expect(backticked(settingMeaning("blend NAME").split(":")[1]!)).toEqual(BLEND_KERNELS);
    expect(commentAlternatives("blend gaussian           #")).toEqual(BLEND_KERNELS);
    expect(noneOf("S2008")).toEqual(BLEND_KERNELS);
  });

  it("lists and explains the compiler's fit modes", () => {
    const fitList = lines.slice(lines.findIndex((line) => line.startsWith("**Fit**")) + 1);
    const explained = fitList.slice(0, fitList.findIndex((line) => line.trim() === "")).filter((line) => line.startsWith("- "));
    expect(explained.map((line) => backticked(line)[0])).toEqual(FIT_MODES);
    expect(commentAlternatives("fit stretch                #")).toEqual(FIT_MODES);
    expect(noneOf("S2009")).toEqual(FIT_MODES);
  });

  it("lists the compiler's grid tilings", () => {
    expect(commentAlternatives("tiling fixed               #")).toEqual(GRID_TILINGS);
    expect(noneOf("S2024")).toEqual(GRID_TILINGS);
  });

  it("lists the compiler's noise generators", () => {
    expect(backticked(settingMeaning('noise NAME` or `noise "file.npy"').split(":")[0]!)).toEqual(NOISE_GENERATORS);
    expect(noneOf("S2023")).toEqual(NOISE_GENERATORS);
  });

  it("lists the compiler's shapes", () => {
    expect(noneOf("S2028")).toEqual(SHAPE_KINDS);
  });
});
