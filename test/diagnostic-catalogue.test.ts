import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DIAGNOSTIC_CODES } from "../src/compiler/diagnostics/diagnostic-codes.js";
import { isWords } from "../src/compiler/diagnostics/words.js";

/**
 * The catalogue (diagnostic-codes.ts) is the one place a code, its title and its words live.
 * TypeScript checks that every `report` call names a catalogued code with the parameters its
 * words take; this checks what the types cannot see: codes mentioned anywhere else (comments,
 * `d.code === "S1015"`, the CLI, the documentation) are catalogued, and every catalogued code and
 * variant is reported somewhere. (reference-examples.test.ts checks that each code has its section
 * in grammar/reference.md, with its catalogue title and an example that produces it.)
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CATALOGUE = "src/compiler/diagnostics/diagnostic-codes.ts";
const CODE = /\bS\d{4}\b/g;

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|md)$/.test(entry.name))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"));
}

const sources = new Map(sourceFiles("src").map((file) => [file, readFileSync(path.join(ROOT, file), "utf8")]));
const catalogued = new Set(Object.keys(DIAGNOSTIC_CODES));

/** The files outside the catalogue whose code names `code` as a string (`"S2007"`), where it is reported or tested for. */
function filesUsing(code: string): string[] {
  return [...sources].filter(([file, text]) => file !== CATALOGUE && file.endsWith(".ts") && text.includes(`"${code}"`)).map(([file]) => file);
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen. */
function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/ /g, "-");
}

describe("the diagnostic catalogue", () => {
  it("has every code that src/ mentions, in code or comments", () => {
    const unknown = [...sources].flatMap(([file, text]) => [...text.matchAll(CODE)].filter((m) => !catalogued.has(m[0])).map((m) => `${m[0]} in ${file}`));
    expect(unknown).toEqual([]);
  });

  it("has every code that the documentation mentions, linked to its own section", () => {
    const problems: string[] = [];
    for (const doc of ["README.md", "grammar/reference.md"]) {
      const text = readFileSync(path.join(ROOT, doc), "utf8");
      for (const m of text.matchAll(CODE)) if (!catalogued.has(m[0])) problems.push(`${m[0]} in ${doc}`);
      for (const m of text.matchAll(/\[(S\d{4})\]\(#([^)]*)\)/g)) {
        const entry = DIAGNOSTIC_CODES[m[1] as keyof typeof DIAGNOSTIC_CODES];
        if (entry && m[2] !== anchor(`${m[1]} — ${entry.title}`)) problems.push(`${doc}: [${m[1]}](#${m[2]}) does not lead to ### ${m[1]} — ${entry.title}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("has no code that the compiler never reports", () => {
    const unused = [...catalogued].filter((code) => filesUsing(code).length === 0);
    expect(unused).toEqual([]);
  });

  it("has no variant that the compiler never reports", () => {
    const unused: string[] = [];
    for (const [code, entry] of Object.entries(DIAGNOSTIC_CODES)) {
      if (isWords(entry.text)) continue;
      const users = filesUsing(code).map((file) => sources.get(file)!);
      // Chosen at the call (`variant: "grid"`), or returned by a function that picks it (`return "comma";`).
      const chosen = (variant: string) => new RegExp(`(variant: |return )"${variant}"`);
      for (const variant of Object.keys(entry.text)) if (!users.some((text) => chosen(variant).test(text))) unused.push(`${code} ${variant}`);
    }
    expect(unused).toEqual([]);
  });
});
