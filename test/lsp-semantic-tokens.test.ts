import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LspClient } from "./helpers/lsp-client.js";

// `textDocument/semanticTokens/full` over real JSON-RPC, decoded as an editor decodes it.

const folder = mkdtempSync(path.join(os.tmpdir(), "scenec-lsp-tokens-"));
const uri = pathToFileURL(path.join(folder, "main.scene")).href;
const SCENE = `style warm "warm light"
# a comment
canvas 512 x 256
scheduler euler karras
region tile {
  prompt "a {warm} sky, {warm}"
  blend gaussian
  size 512 x 256
}
`;

let client: LspClient;
let legend: { tokenTypes: string[]; tokenModifiers: string[] };

beforeAll(async () => {
  client = new LspClient(folder);
  const init = await client.request<{ capabilities: { semanticTokensProvider: { legend: typeof legend; full: boolean } } }>("initialize", { processId: process.pid, rootUri: pathToFileURL(folder).href, capabilities: {} });
  legend = init.capabilities.semanticTokensProvider.legend;
  expect(init.capabilities.semanticTokensProvider.full).toBe(true);
  await client.notify("initialized", {});
});

afterAll(() => {
  client.child.kill();
  rmSync(folder, { recursive: true, force: true });
});

/** Each token as `text type[+modifier]`, from the relative encoding (line delta, start delta, length, type, modifier bits). */
async function tokens(text: string): Promise<string[]> {
  await client.notify("textDocument/didOpen", { textDocument: { uri, languageId: "scene", version: 1, text } });
  const { data } = await client.request<{ data: number[] }>("textDocument/semanticTokens/full", { textDocument: { uri } });
  await client.notify("textDocument/didClose", { textDocument: { uri } });
  const lines = text.split("\n");
  const out: string[] = [];
  let line = 0;
  let character = 0;
  for (let i = 0; i < data.length; i += 5) {
    const [dl, dc, length, type, modifiers] = data.slice(i, i + 5) as [number, number, number, number, number];
    line += dl;
    character = dl === 0 ? character + dc : dc;
    const names = legend.tokenModifiers.filter((_, bit) => modifiers & (1 << bit));
    out.push(`${lines[line]!.slice(character, character + length)} ${[legend.tokenTypes[type], ...names].join("+")}`);
  }
  return out;
}

describe("semantic tokens", () => {
  it("type the lexer's tokens by what the tree says they are, strings only for their {style}", async () => {
    expect(await tokens(SCENE)).toEqual([
      "style keyword",
      "warm macro+declaration",
      "canvas keyword",
      "512 x 256 number",
      "scheduler keyword",
      "euler enumMember",
      "karras keyword",
      "region keyword",
      // A keyword where a name is expected is the name.
      "tile variable+declaration",
      "prompt keyword",
      "{warm} macro",
      "{warm} macro",
      "blend keyword",
      "gaussian enumMember",
      "size keyword",
      "512 x 256 number",
    ]);
  });

  it("keep the keywords and numbers of a statement that does not parse", async () => {
    expect(await tokens('canvas 512 x 256\nregion {\n  prompt "x {warm}"\n  weight 2\n')).toEqual(["canvas keyword", "512 x 256 number", "region keyword", "prompt keyword", "weight keyword", "2 number"]);
  });
});
