import { describe, expect, it } from "vitest";
import type { Diagnostic, RelatedInformation } from "../src/compiler/diagnostics/diagnostic.js";
import { SourceFile } from "../src/compiler/diagnostics/source-file.js";
import { renderDiagnostic, renderDiagnostics, summaryLine } from "../src/cli/diagnostic-text.js";

const plain = { color: false };

/** A diagnostic over [start, end) of `source`, located the way the compiler locates them. */
function diag(
  source: SourceFile,
  start: number,
  end: number,
  fields: Partial<Omit<Diagnostic, "location">> & { code: string; message: string },
): Diagnostic {
  return {
    severity: "error",
    related: [],
    ...fields,
    location: { file: source.path, start: source.position(start), end: source.position(end) },
  };
}

function related(source: SourceFile, start: number, end: number, message: string): RelatedInformation {
  return { message, location: { file: source.path, start: source.position(start), end: source.position(end) } };
}

function sourcesOf(...files: SourceFile[]): Map<string, SourceFile> {
  return new Map(files.map((f) => [f.path, f]));
}

const filler = Array.from({ length: 10 }, (_, i) => `# line ${i + 1}`).join("\n");

describe("diagnostic text", () => {
  it("renders an error with a context line, caret label and help", () => {
    const text = `${filler}\nsteps 30\nscheduler eulr_a\n`;
    const source = new SourceFile("scenes/bad.scene", text);
    const at = text.indexOf("eulr_a");
    const d = diag(source, at, at + 6, {
      code: "S2007",
      message: "unknown scheduler `eulr_a`",
      label: "not a scheduler",
      help: "did you mean `euler_ancestral`?",
    });
    expect(renderDiagnostics([d], sourcesOf(source), plain)).toBe(
      [
        "scenes/bad.scene:12:11: error[S2007]: unknown scheduler `eulr_a`",
        "   11 │ steps 30",
        "   12 │ scheduler eulr_a",
        "      │           ^^^^^^ not a scheduler",
        "   = help: did you mean `euler_ancestral`?",
        "",
        "1 error",
        "",
      ].join("\n"),
    );
  });

  it("renders a warning with related information in another file", () => {
    const main = new SourceFile("scenes/a.scene", 'style moody "dark, {grain}"\nregion r { prompt "x" }\n');
    const lib = new SourceFile("scenes/lib.scene", '# shared\nstyle grain "film grain"\n');
    const at = main.text.indexOf("moody");
    const w = diag(main, at, at + 5, {
      code: "S2501",
      severity: "warning",
      message: "unused style `moody`",
      related: [related(lib, 9, 14, "`moody` uses `grain`, declared here")],
    });
    expect(renderDiagnostic(w, sourcesOf(main, lib), plain)).toBe(
      [
        "scenes/a.scene:1:7: warning[S2501]: unused style `moody`",
        '   1 │ style moody "dark, {grain}"',
        "     │       ^^^^^",
        "   = note: `moody` uses `grain`, declared here (scenes/lib.scene:2:1)",
        "",
      ].join("\n"),
    );
  });

  it("puts one caret after the last line at the end of the file", () => {
    const source = new SourceFile("f.scene", 'region a {\n  prompt "x"\n');
    const d = diag(source, source.text.length, source.text.length, {
      code: "S1012",
      message: "unexpected end of file",
      label: "expected `}`",
    });
    expect(renderDiagnostic(d, sourcesOf(source), plain)).toBe(
      [
        "f.scene:3:1: error[S1012]: unexpected end of file",
        '   2 │   prompt "x"',
        "   3 │",
        "     │ ^ expected `}`",
        "",
      ].join("\n"),
    );
  });

  it("puts the caret just past the text when the file has no final newline", () => {
    const source = new SourceFile("f.scene", "canvas 64 x 64\n\nregion a {");
    const d = diag(source, source.text.length, source.text.length, { code: "S1012", message: "unexpected end of file" });
    // The blank line above is not worth showing.
    expect(renderDiagnostic(d, sourcesOf(source), plain)).toBe(
      ["f.scene:3:11: error[S1012]: unexpected end of file", "   3 │ region a {", "     │           ^", ""].join("\n"),
    );
  });

  it("expands tabs the same way in the code and under it", () => {
    const text = "region r {\n\tat 8,\t0\n\tsize\t100 x 64\n}\n";
    const source = new SourceFile("tabs.scene", text);
    const at = text.indexOf("100");
    const d = diag(source, at, at + 3, {
      code: "S2001",
      message: "`100` is not a multiple of 8",
      label: "the nearest are 96 and 104",
    });
    expect(renderDiagnostic(d, sourcesOf(source), plain)).toBe(
      [
        "tabs.scene:3:7: error[S2001]: `100` is not a multiple of 8",
        "   2 │     at 8,   0",
        "   3 │     size    100 x 64",
        "     │             ^^^ the nearest are 96 and 104",
        "",
      ].join("\n"),
    );

    // A span that contains a tab underlines all of the tab's columns.
    const from = text.indexOf("size");
    const wide = diag(source, from, at, { code: "S2015", message: "x" });
    expect(renderDiagnostic(wide, sourcesOf(source), plain).split("\n")[3]).toBe("     │     ^^^^^^^^");
  });

  it("cuts a very long line to a window around the span", () => {
    const comment = "# " + "c".repeat(400);
    const prompt = '  prompt "' + "a".repeat(200) + "{nope}" + "b".repeat(300) + '"';
    const text = `${comment}\n${prompt}\n`;
    const source = new SourceFile("long.scene", text);
    const at = text.indexOf("nope");
    const d = diag(source, at, at + 4, { code: "S2005", message: "undefined style `nope`", label: "not declared" });
    // The window starts 40 columns left of the span and is 160 columns wide.
    expect(renderDiagnostic(d, sourcesOf(source), plain)).toBe(
      [
        "long.scene:2:212: error[S2005]: undefined style `nope`",
        "   1 │ …" + "c".repeat(160) + "…",
        "   2 │ …" + "a".repeat(39) + "{nope}" + "b".repeat(115) + "…",
        "     │ " + " ".repeat(41) + "^^^^ not declared",
        "",
      ].join("\n"),
    );
  });

  it("cuts only the end of a long line whose span is near its start", () => {
    const text = "style s " + '"' + "x".repeat(300) + '"\n';
    const source = new SourceFile("long.scene", text);
    const d = diag(source, 6, 7, { code: "S2501", severity: "warning", message: "unused style `s`" });
    const lines = renderDiagnostic(d, sourcesOf(source), plain).split("\n");
    expect(lines[1]).toBe('   1 │ style s "' + "x".repeat(151) + "…");
    expect(lines[2]).toBe("     │       ^");
  });

  it("underlines a multi-line span to the end of its first line, with a gutter as wide as the line number", () => {
    const text = `canvas 64 x 64\n${Array.from({ length: 7 }, () => "").join("\n")}\nsteps 30\nregion a {\n  at 128, 0\n}\n`;
    const source = new SourceFile("m.scene", text);
    const start = text.indexOf("region a");
    const end = text.indexOf("}") + 1;
    const d = diag(source, start, end, {
      code: "S2002",
      message: "region `a` is outside the canvas",
      label: "starts at x = 128, the canvas is 64 wide",
    });
    expect(d.location.start.line).toBe(10);
    expect(d.location.end.line).toBe(12);
    expect(renderDiagnostic(d, sourcesOf(source), plain)).toBe(
      [
        "m.scene:10:1: error[S2002]: region `a` is outside the canvas",
        "    9 │ steps 30",
        "   10 │ region a {",
        "      │ ^^^^^^^^^^ starts at x = 128, the canvas is 64 wide",
        "",
      ].join("\n"),
    );
  });

  it("prints the header, help and notes alone when the file's text is unknown", () => {
    const d: Diagnostic = {
      code: "S3003",
      severity: "error",
      message: "guide image `gone.png` not found",
      location: { file: "x.scene", start: { offset: 6, line: 1, column: 7 }, end: { offset: 16, line: 1, column: 17 } },
      help: "paths are relative to the scene file\nwhich is in `.`",
      related: [],
    };
    expect(renderDiagnostic(d, new Map(), plain)).toBe(
      [
        "x.scene:1:7: error[S3003]: guide image `gone.png` not found",
        "   = help: paths are relative to the scene file",
        "           which is in `.`",
        "",
      ].join("\n"),
    );
  });

  it("separates diagnostics with a blank line and counts them", () => {
    const source = new SourceFile("s.scene", "steps 0\nscheduler x\nstyle u \"\"\n");
    const e1 = diag(source, 6, 7, { code: "S2010", message: "steps must be 1..1000" });
    const e2 = diag(source, 18, 19, { code: "S2007", message: "unknown scheduler `x`" });
    const w = diag(source, 26, 27, { code: "S2501", severity: "warning", message: "unused style `u`" });
    const out = renderDiagnostics([e1, e2, w], sourcesOf(source), plain);
    expect(out.split("\n\n")).toHaveLength(4);
    expect(out.endsWith("\n\n2 errors, 1 warning\n")).toBe(true);
    expect(renderDiagnostics([], sourcesOf(source), plain)).toBe("");
  });

  it("gets the summary's singulars and plurals right", () => {
    expect(summaryLine({ errors: 1, warnings: 0 })).toBe("1 error");
    expect(summaryLine({ errors: 0, warnings: 1 })).toBe("1 warning");
    expect(summaryLine({ errors: 3, warnings: 2 })).toBe("3 errors, 2 warnings");
    expect(summaryLine({ errors: 0, warnings: 0 })).toBe("no problems");
  });

  it("colours only when asked to", () => {
    const source = new SourceFile("c.scene", "steps 30\nscheduler eulr_a\nstyle u \"\"\n");
    const e = diag(source, 19, 25, { code: "S2007", message: "unknown scheduler", label: "here", help: "did you mean?" });
    const w = diag(source, 32, 33, { code: "S2501", severity: "warning", message: "unused style `u`" });
    const sources = sourcesOf(source);
    const coloured = renderDiagnostics([e, w], sources, { color: true });
    expect(coloured).toContain("\x1b[31m"); // red: the error
    expect(coloured).toContain("\x1b[33m"); // yellow: the warning
    expect(coloured).toContain("\x1b[36m"); // cyan: the gutter
    expect(coloured).toContain("\x1b[1munknown scheduler\x1b[22m"); // bold message
    expect(renderDiagnostics([e, w], sources, plain)).not.toContain("\x1b");
    // Stripped of its codes, the coloured text is the plain text.
    expect(coloured.replace(/\x1b\[\d+m/g, "")).toBe(renderDiagnostics([e, w], sources, plain));
  });

  it("shows control characters in the source as a placeholder, never raw", () => {
    const source = new SourceFile("ctl.scene", "seed 1\x1b[2J\n");
    const d = diag(source, 6, 7, { code: "S1001", message: "unexpected character" });
    const out = renderDiagnostic(d, sourcesOf(source), { color: false });
    expect(out).not.toContain("\x1b");
    expect(out.split("\n")[1]).toBe("   1 │ seed 1\uFFFD[2J");
  });

  it("frames a span on a 10 MB line as fast as on a short one: only the window shown is read", () => {
    const line = `${"\t".repeat(3)}${"a".repeat(5_000_000)}oops${"b".repeat(5_000_000)}`;
    const source = new SourceFile("huge.scene", `# header\n${line}\n`);
    const at = source.text.indexOf("oops");
    const d = diag(source, at, at + 4, { code: "S1001", message: "unexpected word" });
    const started = performance.now();
    const out = renderDiagnostic(d, sourcesOf(source), plain);
    for (let i = 0; i < 20; i++) renderDiagnostic(d, sourcesOf(source), plain);
    expect(performance.now() - started).toBeLessThan(1_000);
    const [, code, carets] = out.split("\n");
    expect(code).toBe(`   2 │ …${"a".repeat(40)}oops${"b".repeat(116)}…`);
    expect(carets).toBe(`     │ ${" ".repeat(41)}^^^^`);
  });
});
