/**
 * Guide images are decoded at compile time (src/cli/guide-check.ts): a file whose header, chunk
 * checksums and end marker are fine but whose pixel data is corrupt is an S3004 on its `guide`
 * line from `check`, `plan`, `render` and `watch`, before any model is loaded.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { crc32 } from "node:zlib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Terminal } from "../src/cli/terminal.js";
import { runMain as run } from "./helpers/scenec-main.js";
import { GuideDecoder } from "../src/cli/guide-check.js";
import { compile, type CompilerHost } from "../src/compiler/compile.js";
import { memoryHost } from "./helpers/memory-host.js";
import { nodeHost } from "../src/compiler/node-host.js";
import { formatPlan } from "../src/cli/plan-output.js";
import { waitUntil } from "./helpers/watch-process.js";

/** 64 x 64 of a pattern that does not compress to nothing, so the compressed data has some length. */
function picture(format: "png" | "jpeg"): Promise<Buffer> {
  const raw = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919) % 251;
  const image = sharp(raw, { raw: { width: 64, height: 64, channels: 3 } });
  return (format === "png" ? image.png() : image.jpeg()).toBuffer();
}

/** Deterministic garbage over `bytes[from, to)`, never 0xff (which would start a JPEG marker). */
function garble(bytes: Buffer, from: number, to: number): void {
  for (let i = from; i < to; i++) bytes[i] = (i * 37 + 11) % 255;
}

/** A PNG whose every chunk is whole (length, CRC, IEND last) but whose IDAT is not a valid zlib stream. */
async function corruptPng(): Promise<Buffer> {
  const png = Buffer.from(await picture("png"));
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString("latin1", at + 4, at + 8) === "IDAT") {
      garble(png, at + 8 + 10, at + 8 + length - 10);
      png.writeUInt32BE(crc32(png.subarray(at + 4, at + 8 + length)), at + 8 + length);
    }
    at += 12 + length;
  }
  return png;
}

/** A JPEG with every marker in place (SOI … EOI) but its entropy-coded data overwritten. */
async function corruptJpeg(): Promise<Buffer> {
  const jpeg = Buffer.from(await picture("jpeg"));
  const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
  const data = sos + 2 + jpeg.readUInt16BE(sos + 2);
  garble(jpeg, data + 20, jpeg.length - 40);
  return jpeg;
}

const scene = (guide: string) => `canvas 512 x 512
region sky { prompt "a blue sky" }
guide "${guide}" { at 0, 0  size 64 x 64 }
`;

let images: { good: Buffer; png: Buffer; jpeg: Buffer };
beforeAll(async () => {
  images = { good: await picture("png"), png: await corruptPng(), jpeg: await corruptJpeg() };
});

describe("corrupt guide images, in the compiler", () => {
  const files = () => ({ "good.png": images.good, "bad.png": images.png, "bad.jpg": images.jpeg });

  it("pass the compiler's own checks (header, checksums, end marker): only decoding finds them", () => {
    for (const guide of ["bad.png", "bad.jpg"]) {
      const result = compile(scene(guide), { path: "s.scene", host: memoryHost(files()) });
      expect(result.diagnostics).toEqual([]);
      expect(result.plan).toBeDefined();
    }
  });

  it.each([
    ["bad.png", "libpng read error"],
    ["bad.jpg", "Corrupt JPEG data: bad Huffman code"],
  ])("%s is an S3004 on the guide's path, and no plan", async (guide, reason) => {
    const result = await new GuideDecoder().compile((host) => compile(scene(guide), { path: "s.scene", host }), memoryHost(files()));
    expect(result.plan).toBeUndefined();
    expect(result.diagnostics.map((d) => [d.code, d.location.start.line, d.location.start.column, d.message])).toEqual([
      ["S3004", 3, 7, `guide image \`${guide}\` is damaged: its pixel data does not decode (${reason})`],
    ]);
  });

  it("finds damage in the last rows, which a resize (the render's own pipeline) never reads", async () => {
    const raw = Buffer.alloc(600 * 600 * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919) % 251;
    const jpeg = Buffer.from(await sharp(raw, { raw: { width: 600, height: 600, channels: 3 } }).jpeg().toBuffer());
    garble(jpeg, jpeg.length - 1500, jpeg.length - 100);
    await expect(sharp(jpeg).resize(64, 64).raw().toBuffer()).resolves.toBeDefined();
    const result = await new GuideDecoder().compile((host) => compile(scene("tail.jpg"), { path: "s.scene", host }), memoryHost({ "tail.jpg": jpeg }));
    expect(result.diagnostics.map((d) => d.message)).toEqual(["guide image `tail.jpg` is damaged: its pixel data does not decode (Corrupt JPEG data: bad Huffman code)"]);
  });

  it("decodes each image once per content hash, and compiles once when every guide decodes", async () => {
    const decoder = new GuideDecoder();
    let compiles = 0;
    const run = (text: string) =>
      decoder.compile((host: CompilerHost) => {
        compiles++;
        return compile(text, { path: "s.scene", host });
      }, memoryHost({ ...files(), "same-bytes.png": images.png }));

    expect((await run(scene("good.png"))).plan).toBeDefined();
    expect(compiles).toBe(1);
    // A new image that fails: compiled again, so that the compiler reports it.
    expect((await run(scene("bad.png"))).diagnostics.map((d) => d.code)).toEqual(["S3004"]);
    expect(compiles).toBe(3);
    // Known by its content, under any name: answered at once, one compile.
    expect((await run(scene("same-bytes.png"))).diagnostics.map((d) => d.code)).toEqual(["S3004"]);
    expect(compiles).toBe(4);
  });

  it("gives each image its own verdict when decodes are asked for while others run (watch rounds overlap)", async () => {
    const reasonOf = (result: ReturnType<typeof compile>) => result.diagnostics.map((d) => /\((.*)\)$/.exec(d.message)?.[1]);
    for (let round = 0; round < 10; round++) {
      const decoder = new GuideDecoder();
      const host = decoder.host(memoryHost(files()));
      const texts = [scene("bad.png"), scene("bad.jpg"), scene("good.png")];
      const decodes = texts.map((text) => {
        compile(text, { path: "s.scene", host });
        return decoder.decodeQueued();
      });
      expect(await Promise.all(decodes)).toEqual([true, true, false]);
      expect(texts.map((text) => reasonOf(compile(text, { path: "s.scene", host })))).toEqual([["libpng read error"], ["Corrupt JPEG data: bad Huffman code"], []]);
    }
  });
});

describe("corrupt guide images, on the command line", () => {
  let dir: string;
  let shown: (file: string) => string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "scenec-guide-decode-"));
    shown = (file) => path.relative(process.cwd(), path.join(dir, file));
    writeFileSync(path.join(dir, "bad.png"), images.png);
    // The model does not exist: a command that got as far as loading it would say so (exit 2).
    writeFileSync(path.join(dir, "s.scene"), `model "no-such-model"\n${scene("bad.png")}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));


  it("`check` reports it with a code frame and exits 1", async () => {
    const { status, stderr } = await run("check", shown("s.scene"));
    expect(stderr).toBe(`${shown("s.scene")}:4:7: error[S3004]: guide image \`bad.png\` is damaged: its pixel data does not decode (libpng read error)
   3 │ region sky { prompt "a blue sky" }
   4 │ guide "bad.png" { at 0, 0  size 64 x 64 }
     │       ^^^^^^^^^ cannot be decoded
   = help: the file is cut short or corrupted; export or download it again

1 error
`);
    expect(status).toBe(1);
  });

  it("`check --json` lists it", async () => {
    const { status, stdout } = await run("check", "--json", shown("s.scene"));
    expect(stdout).toContain('"code": "S3004"');
    expect(status).toBe(1);
  });

  it.each([["plan"], ["render"]])("`%s` stops with the same error, before the model is looked for", async (command) => {
    const { status, stdout, stderr } = await run(command, shown("s.scene"));
    expect(stderr).toMatch(/^\S+s\.scene:4:7: error\[S3004\]: guide image `bad\.png` is damaged/);
    expect(stderr).not.toContain("no-such-model");
    expect(stdout).toBe("");
    expect(status).toBe(1);
  });
});

describe("corrupt guide images in a saved plan", () => {
  it("`render PLAN` stops before the model is looked for (a plan is not compiled, its guides are still decoded)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "scenec-guide-decode-plan-"));
    try {
      writeFileSync(path.join(dir, "bad.png"), images.png);
      // Planned without decoding (a plan written by an older scenec, or by hand).
      const sceneFile = path.join(dir, "s.scene");
      const result = compile(`model "no-such-model"\n${scene("bad.png")}`, { path: sceneFile, host: nodeHost });
      writeFileSync(path.join(dir, "p.json"), formatPlan(result.plan!, "json"));
      const planFile = path.relative(process.cwd(), path.join(dir, "p.json"));
      const { status, stderr } = await run("render", planFile);
      expect(stderr).toBe(`scenec: ${planFile}: guide image \`bad.png\` is damaged: its pixel data does not decode (libpng read error) (export or download the image again, then plan the scene again)\n`);
      expect(status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("corrupt guide images, in watch mode", () => {
  it("a corrupt guide is a scene error, not a failed render; a good one renders; the corrupt one again is an error", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "scenec-guide-decode-watch-"));
    const file = path.join(dir, "s.scene");
    const guide = path.join(dir, "g.png");
    writeFileSync(guide, images.png);
    writeFileSync(file, `canvas 64 x 64\nsteps 2\nregion sky { prompt "blue" }\nguide "g.png" { strength 0.5 }\n`);
    let stderr = "";
    const terminal: Terminal = { color: false, stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } };
    const count = (text: string) => stderr.split("\n").filter((line) => line.startsWith(`[watch] ${text}`)).length;
    let stop!: () => void;
    // The render worker runs compiled JavaScript: the session from dist/ (`npm test` builds first).
    const { runWatch } = (await import(new URL("../dist/src/cli/watch/session.js", import.meta.url).href)) as typeof import("../src/cli/watch/session.js");
    const session = runWatch({ scene: file, device: "cpu", batch: 1, limits: {}, keepHistory: true, debounceMs: 50, stop: new Promise((resolve) => (stop = resolve)) }, terminal);
    try {
      await waitUntil(() => count("scene has errors (1 error)") === 1 || undefined, "the corrupt guide's error", 20_000, () => stderr);
      expect(stderr).toContain("error[S3004]: guide image `g.png` is damaged: its pixel data does not decode (libpng read error)");
      expect(count("render")).toBe(0);

      writeFileSync(guide, images.good);
      await waitUntil(() => count("render finished") === 1 || undefined, "a render of the good guide", 30_000, () => stderr);

      writeFileSync(guide, images.png);
      await waitUntil(() => count("scene has errors (1 error)") === 2 || undefined, "the corrupt guide's error, again", 20_000, () => stderr);
      expect(count("render started")).toBe(1);
      expect(count("render failed")).toBe(0);
    } finally {
      stop();
      await session;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
