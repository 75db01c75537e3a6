import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { previewRegions } from "../src/cli/watch/preview-regions.js";
import { LspClient } from "./helpers/lsp-client.js";
import { compileScene } from "./helpers/render-helpers.js";

// `scenec/regionAtCursor` over real JSON-RPC: what the preview highlights for the editor's cursor.

const folder = mkdtempSync(path.join(os.tmpdir(), "scenec-lsp-cursor-"));
const uri = pathToFileURL(path.join(folder, "main.scene")).href;
const SCENE = `canvas 1024 x 512
steps 20

region sky {
  at 0, 0
  size 1024 x 512
  prompt "a sky"
}

grid mosaic {
  at 0, 256
  tile 512 x 256
  columns 2
  rows 1
  overlap 0 x 0
  prompt "tiles"
  cell 01, 0 { prompt "a lighthouse" }
}

guide "sketch.png" { size 512 x 512 }
`;

type Answer = { kind: string; name: string; guide?: number; range: { start: { line: number }; end: { line: number } } } | null;
let client: LspClient;
const at = (line: number, character: number) => client.request<Answer>("scenec/regionAtCursor", { textDocument: { uri }, position: { line, character } });

beforeAll(async () => {
  client = new LspClient(folder);
  await client.request("initialize", { processId: process.pid, rootUri: pathToFileURL(folder).href, capabilities: {} });
  await client.notify("initialized", {});
  await client.notify("textDocument/didOpen", { textDocument: { uri, languageId: "scene", version: 1, text: SCENE } });
});

afterAll(() => {
  client.child.kill();
  rmSync(folder, { recursive: true, force: true });
});

describe("scenec/regionAtCursor", () => {
  it("names the region whose block holds the cursor, from its name to its closing brace", async () => {
    for (const [line, character] of [[3, 0], [3, 8], [5, 4], [7, 1]] as const) expect(await at(line, character)).toMatchObject({ kind: "region", name: "sky" });
    expect((await at(6, 10))!.range).toMatchObject({ start: { line: 3 }, end: { line: 7 } });
  });

  it("answers null between blocks and on scene settings", async () => {
    expect(await at(1, 3)).toBeNull();
    expect(await at(8, 0)).toBeNull();
  });

  it("names a grid cell as the plan does, and the grid elsewhere in its block", async () => {
    expect(await at(16, 20)).toMatchObject({ kind: "cell", name: "mosaic[1,0]", range: { start: { line: 16 }, end: { line: 16 } } });
    expect(await at(11, 4)).toMatchObject({ kind: "grid", name: "mosaic" });
    // The names the preview's /regions.json gives the same scene.
    const names = previewRegions(compileScene(SCENE.replace(/^guide .*$/m, ""))).paints.map((p) => p.name);
    expect(names).toEqual(["sky", "mosaic[0,0]", "mosaic[1,0]"]);
  });

  it("numbers a guide as the plan's guides are numbered", async () => {
    expect(await at(19, 25)).toMatchObject({ kind: "guide", name: "sketch.png", guide: 0 });
  });

  it("follows unsaved edits, even ones that do not compile", async () => {
    await client.notify("textDocument/didChange", { textDocument: { uri, version: 2 }, contentChanges: [{ text: SCENE.replace("region sky", "region sea").replace("steps 20", "steps twenty") }] });
    expect(await at(5, 4)).toMatchObject({ kind: "region", name: "sea" });
  });
});
