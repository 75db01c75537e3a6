import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatScene } from "../src/compiler/format/format-scene.js";
import { gradient, writeImage } from "./helpers/guide-helpers.js";
import { lMask } from "./helpers/mask-images.js";
import { LspClient } from "./helpers/lsp-client.js";
import { runScenec } from "./helpers/scenec-cli.js";

// `scenec lsp --stdio` driven over real JSON-RPC: one server process for the whole file, the
// tests in sequence (each builds on the documents the earlier ones opened).

const folder = mkdtempSync(path.join(os.tmpdir(), "scenec-lsp-"));
const uri = (name: string) => pathToFileURL(path.join(folder, name)).href;
const at = (line: number, character: number) => ({ line, character });

const STYLES = 'style warm "warm sunset light"\n';
const BROKEN = `import "styles.scene"
canvas 1024 x 512
scheduler eulr_a
steps 20

region sky {
  at 0, 0
  size 1024 x 512
  prompt "a sky, {warm}"
}

region sun {
  at 384, 128
  size 256 x 256
  prompt "a sun"
  weight 2
}
`;
const FIXED = BROKEN.replace("eulr_a", "euler_ancestral");

let client: LspClient;
let version = 1;
const main = uri("main.scene");

const open = (name: string, text: string) => client.notify("textDocument/didOpen", { textDocument: { uri: uri(name), languageId: "scene", version: 1, text } });
const change = (name: string, text: string) => client.notify("textDocument/didChange", { textDocument: { uri: uri(name), version: ++version }, contentChanges: [{ text }] });
type Hover = { contents: { value: string } } | null;
const hover = (line: number, character: number, name = "main.scene") => client.request<Hover>("textDocument/hover", { textDocument: { uri: uri(name) }, position: at(line, character) });
const completion = async (line: number, character: number, name = "main.scene") =>
  (await client.request<{ label: string }[]>("textDocument/completion", { textDocument: { uri: uri(name) }, position: at(line, character) })).map((i) => i.label);

beforeAll(async () => {
  writeFileSync(path.join(folder, "styles.scene"), STYLES);
  writeFileSync(path.join(folder, "main.scene"), BROKEN);
  client = new LspClient(folder);
  const init = await client.request<{ capabilities: Record<string, unknown> }>("initialize", { processId: process.pid, rootUri: pathToFileURL(folder).href, capabilities: {} });
  expect(init.capabilities["hoverProvider"]).toBe(true);
  await client.notify("initialized", {});
});

afterAll(() => {
  client.child.kill();
  rmSync(folder, { recursive: true, force: true });
});

describe("scenec lsp", () => {
  it("publishes the compiler's diagnostics on open, with code, range, help and the reference's section", async () => {
    await open("main.scene", BROKEN);
    const { diagnostics } = await client.diagnostics(main, (p) => p.diagnostics.length > 0);
    expect(diagnostics).toHaveLength(1);
    const [d] = diagnostics;
    expect(d!.code).toBe("S2007");
    expect(d!.severity).toBe(1);
    expect(d!.range).toEqual({ start: at(2, 10), end: at(2, 16) });
    expect(d!.message).toContain("unknown scheduler `eulr_a`");
    expect(d!.message).toContain("help: did you mean `euler_ancestral`?");
    expect((d as { codeDescription?: { href: string } }).codeDescription?.href).toMatch(/reference\.md#s2007--/);
  });

  it("offers the did-you-mean as a quick fix", async () => {
    const { diagnostics } = await client.diagnostics(main);
    const actions = await client.request<{ title: string; edit: { changes: Record<string, { newText: string; range: unknown }[]> } }[]>("textDocument/codeAction", {
      textDocument: { uri: main },
      range: diagnostics[0]!.range,
      context: { diagnostics },
    });
    expect(actions.map((a) => a.title)).toEqual(["change `eulr_a` to `euler_ancestral`"]);
    expect(actions[0]!.edit.changes[main]).toEqual([{ range: { start: at(2, 10), end: at(2, 16) }, newText: "euler_ancestral" }]);
  });

  it("clears the diagnostics when a change fixes the error", async () => {
    await change("main.scene", FIXED);
    const published = await client.diagnostics(main, (p) => p.version === version);
    expect(published.diagnostics).toEqual([]);
  });

  it("hovers a region with its rectangles, kernel, weight, guidance, UNet cost and share of the canvas", async () => {
    const result = await hover(11, 8);
    const text = result!.contents.value;
    expect(text).toContain("pixels 256 x 256 at 384, 128, latent 32 x 32 at 48, 16");
    expect(text).toContain("kernel `gaussian`, weight 2, guidance 7.5");
    expect(text).toContain("UNet cost: 2 items a step, 40 in all");
    const share = Number(/dominates (\d+(?:\.\d+)?)% of the canvas/.exec(text)?.[1]);
    // The sun's gaussian (weight 2) beats the sky's only near its centre: a fraction of its own
    // 6.25% of the canvas. The sky holds the rest.
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(6.25);
    expect((await hover(5, 8))!.contents.value).toContain(`dominates ${(100 - share).toFixed(0)}% of the canvas`);
  });

  it("hovers a style reference with its expanded text, and a setting with its reference row", async () => {
    expect((await hover(8, 18))!.contents.value).toContain("warm sunset light");
    const steps = (await hover(3, 2))!.contents.value;
    expect(steps).toContain("denoising steps, an integer `1 .. 1000`");
    // A region's option: the reference's annotated example says what it does.
    expect((await hover(15, 3))!.contents.value).toContain("`weight 1.5` — multiplies the kernel; > 0; default 1");
    expect(await hover(4, 0)).toBeNull();
  });

  it("completes settings for the block at the cursor, vocabularies, style names and paths", async () => {
    const top = await completion(4, 0);
    expect(top).toEqual(expect.arrayContaining(["canvas", "steps", "region", "grid", "import"]));
    expect(top).not.toContain("prompt");
    const inRegion = await completion(7, 2);
    expect(inRegion).toEqual(expect.arrayContaining(["prompt", "weight", "size"]));
    expect(inRegion).not.toContain("canvas");
    // After `scheduler `: the schedulers (the cursor is on `euler_ancestral`'s first letter).
    expect(await completion(2, 10)).toEqual(["lms", "euler", "euler_ancestral", "ddim", "dpmpp_2m"]);
    expect(await completion(8, 18)).toEqual(["warm"]);
    expect(await completion(0, 8)).toEqual(expect.arrayContaining(["styles.scene", "main.scene"]));
  });

  it("goes to a style's definition across an import, and finds its references", async () => {
    const definition = await client.request<{ uri: string; range: unknown }>("textDocument/definition", { textDocument: { uri: main }, position: at(8, 18) });
    expect(definition).toEqual({ uri: uri("styles.scene"), range: { start: at(0, 6), end: at(0, 10) } });
    const references = await client.request<{ uri: string }[]>("textDocument/references", { textDocument: { uri: main }, position: at(8, 18), context: { includeDeclaration: true } });
    expect(references.map((r) => r.uri).sort()).toEqual([main, uri("styles.scene")]);
  });

  it("renames a style in every file that writes it, and refuses a name that is not one", async () => {
    const edit = await client.request<{ changes: Record<string, { newText: string; range: unknown }[]> }>("textDocument/rename", { textDocument: { uri: main }, position: at(8, 18), newName: "dusk" });
    expect(edit.changes[main]).toEqual([{ range: { start: at(8, 18), end: at(8, 22) }, newText: "dusk" }]);
    expect(edit.changes[uri("styles.scene")]).toEqual([{ range: { start: at(0, 6), end: at(0, 10) }, newText: "dusk" }]);
    await expect(client.request("textDocument/rename", { textDocument: { uri: main }, position: at(8, 18), newName: "two words" })).rejects.toThrow(/is not a name/);
    await expect(client.request("textDocument/rename", { textDocument: { uri: main }, position: at(11, 8), newName: "sky" })).rejects.toThrow("a region or grid named `sky` already exists");
    const region = await client.request<{ changes: Record<string, unknown[]> }>("textDocument/rename", { textDocument: { uri: main }, position: at(11, 8), newName: "moon" });
    expect(region.changes[main]).toEqual([{ range: { start: at(11, 7), end: at(11, 10) }, newText: "moon" }]);
  });

  it("outlines and folds the document", async () => {
    const symbols = await client.request<{ name: string; detail: string }[]>("textDocument/documentSymbol", { textDocument: { uri: main } });
    expect(symbols.map((s) => `${s.detail} ${s.name}`)).toEqual(["import styles.scene", "region sky", "region sun"]);
    const folds = await client.request<{ startLine: number; endLine: number }[]>("textDocument/foldingRange", { textDocument: { uri: main } });
    expect(folds.map((f) => [f.startLine, f.endLine])).toEqual([[5, 9], [11, 16]]);
  });

  it("formats as scenec fmt does, and not while the file has syntax errors", async () => {
    const messy = "canvas  1024x512\nregion a {at 0,0 size 1024 x 512 prompt \"x\"}\n";
    await open("messy.scene", messy);
    const edits = await client.request<{ newText: string }[]>("textDocument/formatting", { textDocument: { uri: uri("messy.scene") }, options: { tabSize: 2, insertSpaces: true } });
    const expected = formatScene(messy, "messy.scene");
    expect(expected.ok && edits).toEqual([{ range: { start: at(0, 0), end: at(2, 0) }, newText: expected.ok ? expected.text : "" }]);
    await change("messy.scene", "region {\n");
    expect(await client.request("textDocument/formatting", { textDocument: { uri: uri("messy.scene") }, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
  });

  it("shows an imported file's errors on the import line, from its unsaved buffer", async () => {
    await open("styles.scene", 'style warm "warm sunset light"\nstyle broken {\n');
    const published = await client.diagnostics(main, (p) => p.diagnostics.length > 0);
    const [d] = published.diagnostics;
    expect(d!.range).toEqual({ start: at(0, 7), end: at(0, 21) });
    expect(d!.message).toMatch(/^styles\.scene:2:\d+: /);
    expect(d!.relatedInformation?.[0]?.location.uri).toBe(uri("styles.scene"));
    const own = await client.diagnostics(uri("styles.scene"), (p) => p.diagnostics.length > 0);
    expect(own.diagnostics[0]!.range.start.line).toBe(1);
  });

  it("shows in an open imported file the errors that only its importer's context finds", async () => {
    writeFileSync(path.join(folder, "a.scene"), 'style glow "soft glow"\n');
    writeFileSync(path.join(folder, "b.scene"), 'style glow "hard glow"\n');
    await open("b.scene", 'style glow "hard glow"\n');
    await client.diagnostics(uri("b.scene"), (p) => p.diagnostics.length === 0);
    await open("both.scene", 'import "a.scene"\nimport "b.scene"\ncanvas 512 x 512\nregion r { prompt "{glow}" }\n');
    const inB = await client.diagnostics(uri("b.scene"), (p) => p.diagnostics.length > 0);
    expect(inB.diagnostics.map((d) => [d.code, d.range.start])).toEqual([["S2004", at(0, 6)]]);
    await client.notify("textDocument/didClose", { textDocument: { uri: uri("both.scene") } });
    await client.diagnostics(uri("b.scene"), (p) => p.diagnostics.length === 0);
  });

  it("snaps an unaligned size to a multiple of 8 and makes a grid fit", async () => {
    await open("grid.scene", 'canvas 1024 x 512\ngrid g {\n  tile 384 x 500\n  overlap 128 x 0\n  prompt "x"\n}\n');
    const first = await client.diagnostics(uri("grid.scene"), (p) => p.diagnostics.length > 0);
    const actions = async (diagnostics: typeof first.diagnostics) =>
      (await client.request<{ title: string; edit: { changes: Record<string, { newText: string }[]> } }[]>("textDocument/codeAction", { textDocument: { uri: uri("grid.scene") }, range: diagnostics[0]!.range, context: { diagnostics } })).map(
        (a) => `${a.title} => ${a.edit.changes[uri("grid.scene")]![0]!.newText}`,
      );
    expect(await actions(first.diagnostics)).toEqual(["snap to 496 (a multiple of 8) => 496", "snap to 504 (a multiple of 8) => 504"]);
    await change("grid.scene", 'canvas 1024 x 512\ngrid g {\n  tile 384 x 512\n  overlap 128 x 0\n  prompt "x"\n}\n');
    const second = await client.diagnostics(uri("grid.scene"), (p) => p.version === version && p.diagnostics[0]?.code === "S2011");
    expect(await actions(second.diagnostics)).toEqual([
      "make the grid fit: overlap width 64 (3 tiles) => 64",
      "make the grid fit: overlap width 224 (5 tiles) => 224",
      "make the grid fit: tile width 576 (2 tiles) => 576",
      "make the grid fit: tile width 352 (4 tiles) => 352",
    ]);
  });

  it("hovers a guide with its image's size and hash", async () => {
    await writeImage(path.join(folder, "sketch.png"), 64, 48, gradient(64, 48));
    await open("guided.scene", 'canvas 512 x 512\nregion all { prompt "x" }\nguide "sketch.png" { size 512 x 512 }\n');
    await client.diagnostics(uri("guided.scene"), (p) => p.diagnostics.length === 0);
    const text = (await hover(2, 8, "guided.scene"))!.contents.value;
    expect(text).toContain("image: 64 x 48 pixels, sha256 `");
    expect(text).toMatch(/sha256 `[0-9a-f]{64}`/);
    expect(await completion(2, 7, "guided.scene")).toContain("sketch.png");
  });

  it("completes and hovers mask paths, and a masked region's share of the canvas is its mask's", async () => {
    writeFileSync(path.join(folder, "l.png"), await lMask(64));
    // Flat kernels: the wall (weight 9) dominates exactly its L, 7 / 16 of the canvas.
    await open("masked.scene", 'canvas 128 x 128\nblend constant\nregion all { prompt "x" }\nregion wall {\n  mask "l.png" feather 0\n  weight 9\n}\n');
    await client.diagnostics(uri("masked.scene"), (p) => p.diagnostics.length === 0);
    expect(await completion(4, 8, "masked.scene")).toContain("l.png");
    expect((await hover(3, 9, "masked.scene"))!.contents.value).toContain("- dominates 44% of the canvas");
    expect((await hover(4, 10, "masked.scene"))!.contents.value).toMatch(/^mask `l\.png`\n- image: 64 x 64 pixels, sha256 `[0-9a-f]{64}`\n- fit `stretch`, feather 0$/);
    expect((await hover(4, 3, "masked.scene"))!.contents.value).toContain('`mask "file.png" …`');
  });

  it("completes model names from scenec.yaml", async () => {
    mkdirSync(path.join(folder, "project"));
    writeFileSync(path.join(folder, "project", "scenec.yaml"), "models:\n  sd15: ../models/sd15\n");
    await open("project/a.scene", 'model "\n');
    // Model paths are folders (or .onnx files): this folder has neither.
    expect(await completion(0, 7, "project/a.scene")).toEqual(["builtin", "sd15"]);
  });

  it("shuts down and exits with status 0", async () => {
    await client.request("shutdown", null);
    await client.notify("exit", null);
    expect(await client.exited).toBe(0);
  });
});

describe("scenec lsp's command line", () => {
  it("speaks stdio only, and says so for another transport", async () => {
    const run = await runScenec(["lsp", "--node-ipc"], { cwd: folder });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown option `--node-ipc` for `scenec lsp`");
  });
});
