import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile, type CompilerHost } from "../src/compiler/compile.js";
import type { Diagnostic } from "../src/compiler/diagnostic.js";
import { DIAGNOSTIC_CODES } from "../src/compiler/diagnostic-codes.js";
import { nodeHost } from "../src/compiler/node-host.js";

/**
 * Golden tests for bad scenes: every `*.scene` directly in test/fixtures/bad is compiled with the
 * real file system host and its diagnostics are compared with `NAME.expected.json` beside it.
 * Files in subfolders (imports/, guides/) are helpers that fixtures import or use as guides.
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
const UPDATE = process.env["UPDATE_GOLDEN"] === "1";

/** nodeHost, with relative paths taken from the repository root whatever the working folder. */
const host: CompilerHost = { readFile: (file) => nodeHost.readFile(path.resolve(ROOT, file)) };

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

function compileFixture(name: string) {
  const scenePath = `${FIXTURES}/${name}.scene`;
  const text = readFileSync(path.join(ROOT, scenePath), "utf8");
  return { scenePath, text, result: compile(text, { path: scenePath, host }) };
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

    if (UPDATE) {
      writeFileSync(expectedPath(name), `${JSON.stringify(actual, null, 2)}\n`);
      return;
    }
    expect(existsSync(expectedPath(name)), `missing ${name}.expected.json (run with UPDATE_GOLDEN=1)`).toBe(true);
    expect(actual).toEqual(readExpected(name));
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
