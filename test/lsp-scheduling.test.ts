import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { createConnection } from "vscode-languageserver/node";
import { afterAll, describe, expect, it } from "vitest";
import { startServer } from "../src/lsp/server.js";

// The server in this process over in-memory streams, so that a burst of messages reaches it in
// one chunk, as it does when an editor sends changes faster than the server reads them.

const folder = mkdtempSync(path.join(os.tmpdir(), "scenec-lsp-scheduling-"));
const uri = pathToFileURL(path.join(folder, "main.scene")).href;
const scene = (seed: number) => `canvas 512 x 512\nregion sky { prompt "a sky"  seed ${seed} }\n`;

const toServer = new PassThrough();
const fromServer = new PassThrough();
const server = createConnection(toServer, fromServer);
startServer(server);
const client = createMessageConnection(new StreamMessageReader(fromServer), new StreamMessageWriter(toServer));
const publishedVersions: number[] = [];
let lastPublished: () => void = () => undefined;
client.onNotification("textDocument/publishDiagnostics", (p: { version?: number }) => {
  publishedVersions.push(p.version ?? -1);
  lastPublished();
});
client.listen();

afterAll(() => {
  client.dispose();
  server.dispose();
  rmSync(folder, { recursive: true, force: true });
});

const frame = (method: string, params: unknown) => {
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", method, params }));
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
};

describe("scenec lsp scheduling", () => {
  it("checks a burst of changes received together once, at its last version", async () => {
    await client.sendRequest("initialize", { processId: null, rootUri: pathToFileURL(folder).href, capabilities: {} });
    await client.sendNotification("initialized", {});
    const last = 6;
    const published = new Promise<void>((resolve) => (lastPublished = () => publishedVersions.includes(last) && resolve()));
    toServer.write(
      Buffer.concat([
        frame("textDocument/didOpen", { textDocument: { uri, languageId: "scene", version: 1, text: scene(1) } }),
        ...Array.from({ length: last - 1 }, (_, k) => frame("textDocument/didChange", { textDocument: { uri, version: k + 2 }, contentChanges: [{ text: scene(k + 2) }] })),
      ]),
    );
    await published;
    // Publishes come in order: none of the earlier versions was checked before the last one.
    expect(publishedVersions).toEqual([last]);
  });
});
