import { describe, expect, it } from "vitest";
import { cursorContext } from "../src/lsp/cursor-context.js";

// Where completion thinks the cursor is, from text that is often mid-edit. `|` marks the cursor.
function at(marked: string) {
  const offset = marked.indexOf("|");
  return cursorContext(marked.replace("|", ""), offset);
}

describe("cursor context", () => {
  it("knows the block the cursor is in, cells inside grids included", () => {
    expect(at("canvas 512 x 512\n|")).toMatchObject({ kind: "code", block: "scene", lineStart: true });
    expect(at("region a {\n  pro|")).toMatchObject({ kind: "code", block: "region", lineStart: true, word: "pro" });
    expect(at('grid g {\n  tile 512 x 512\n  cell 1, 1 {\n    |')).toMatchObject({ block: "cell" });
    expect(at('grid g {\n  cell 1, 1 { prompt "x" }\n  |')).toMatchObject({ block: "grid" });
    expect(at('guide "a.png" {\n  |')).toMatchObject({ block: "guide" });
    expect(at('region a { prompt "x" }\n|')).toMatchObject({ block: "scene" });
  });

  it("gives the word before the cursor, for the names a setting takes", () => {
    expect(at("scheduler |")).toMatchObject({ kind: "code", previous: "scheduler", lineStart: false });
    expect(at("region a { blend qu|")).toMatchObject({ previous: "blend", word: "qu", block: "region" });
  });

  it("reads strings as the lexer does: braces inside them open no block, and `{` in one starts a style name", () => {
    expect(at('region a { prompt "a {sty|')).toEqual({ kind: "style", typed: "sty" });
    expect(at('region a { prompt "{x} and more" }\n|')).toMatchObject({ kind: "code", block: "scene" });
    expect(at('import "styles/|')).toEqual({ kind: "string", keyword: "import", typed: "styles/" });
    expect(at('region a {\n  prompt "a \\"quoted\\" |')).toMatchObject({ kind: "string", keyword: "prompt" });
  });

  it("offers nothing in a comment", () => {
    expect(at("# a note about region |")).toEqual({ kind: "comment" });
    expect(at('# "not a string\n|')).toMatchObject({ kind: "code", block: "scene" });
  });
});
