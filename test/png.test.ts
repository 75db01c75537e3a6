import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import extractChunks from "png-chunks-extract";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  pendingTempFiles,
  removePendingTempFiles,
  writeFileAtomic,
  writeFileAtomicAsync,
} from "../src/runtime/image/atomic-write.js";
import { encodePng, writePng } from "../src/runtime/image/png-write.js";
import {
  KEY_PLAN_SHA256,
  KEY_SCENE,
  KEY_SEED,
  KEY_SOFTWARE,
  KEY_VERSION,
  pngChunks,
  PngFormatError,
  readPngText,
  scenecPngText,
} from "../src/runtime/image/png-text.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scenec-png-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A small raster whose every pixel differs from its neighbours. */
function raster(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      rgb[i] = (x * 37) & 255;
      rgb[i + 1] = (y * 59) & 255;
      rgb[i + 2] = (x * y + 11) & 255;
    }
  }
  return rgb;
}

/** A PNG chunk built by hand (length, type, data, CRC), independent of the code under test. */
function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A 2 x 1 RGB PNG made by hand, with the given extra chunks between IDAT and IEND. */
function handMadePng(extra: Buffer[]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const idat = deflateSync(Buffer.from([0, 255, 0, 0, 0, 0, 255])); // filter 0, red, blue
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    ...extra,
    chunk("IEND", new Uint8Array(0)),
  ]);
}

const latin1 = (s: string): Buffer => Buffer.from(s, "latin1");

describe("encodePng and readPngText", () => {
  const scene = `canvas 1024 x 512\nregion café { prompt "été à Paris, 日本の庭 🌸🎨" }\n\n`;
  const meta = scenecPngText({ scene, planSha256: "ab".repeat(32), seed: 7178915308, version: "0.1.0" });

  it("round-trips UTF-8 text: accents, CJK, emoji, newlines", async () => {
    const text = {
      ...meta,
      "Comment": "line one\nline two\r\n\ttabbed\n",
      "empty": "",
      "é in a keyword": "Latin-1 keyword, UTF-8 text: 日本 👍🏽",
    };
    const png = await encodePng(raster(8, 4), 8, 4, text);
    expect(readPngText(png)).toEqual(text);
    const read = readPngText(png);
    expect(read[KEY_SCENE]).toBe(scene);
    expect(read[KEY_SEED]).toBe("7178915308");
    expect(read[KEY_PLAN_SHA256]).toBe("ab".repeat(32));
    expect(read[KEY_VERSION]).toBe("0.1.0");
    expect(read[KEY_SOFTWARE]).toBe("scenec 0.1.0");
  });

  it("round-trips a 100 KB scene", async () => {
    const line = 'region r { prompt "a garden in Kyoto, 京都の庭園, été 🌿" }\n';
    const big = line.repeat(Math.ceil(100_000 / Buffer.byteLength(line)));
    expect(Buffer.byteLength(big)).toBeGreaterThanOrEqual(100_000);
    const png = await encodePng(raster(16, 16), 16, 16, { ...meta, [KEY_SCENE]: big });
    expect(readPngText(png)[KEY_SCENE]).toBe(big);
  });

  it("puts uncompressed iTXt chunks after the image data, just before IEND, and nothing time-dependent", async () => {
    const png = await encodePng(raster(4, 4), 4, 4, meta);
    const types = pngChunks(png).map((c) => c.type);
    expect(types[0]).toBe("IHDR");
    expect(types.slice(-6)).toEqual(["iTXt", "iTXt", "iTXt", "iTXt", "iTXt", "IEND"]);
    expect(types.lastIndexOf("IDAT")).toBeLessThan(types.indexOf("iTXt"));
    expect(types).not.toContain("tIME");
    // An independent parser (png-chunks-extract checks every CRC) sees the same chunks.
    expect(extractChunks(png).map((c) => c.name)).toEqual(types);
    for (const c of pngChunks(png).filter((c) => c.type === "iTXt")) {
      const nul = c.data.indexOf(0);
      expect([...c.data.subarray(nul, nul + 5)]).toEqual([0, 0, 0, 0, 0]); // flag, method, "" \0, "" \0
    }
  });

  it("gives byte-identical output for identical input, whatever the key order", async () => {
    const rgb = raster(33, 17);
    const a = await encodePng(rgb, 33, 17, meta);
    const b = await encodePng(new Uint8Array(rgb), 33, 17, { ...meta });
    const reversed = Object.fromEntries(Object.entries(meta).reverse());
    const c = await encodePng(rgb, 33, 17, reversed);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(c).equals(Buffer.from(a))).toBe(true);
  });

  it("is decoded by sharp with the same pixels", async () => {
    const rgb = raster(37, 21);
    const png = await encodePng(rgb, 37, 21, meta);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width: 37, height: 21, channels: 3, format: "raw" });
    expect(Buffer.from(data).equals(Buffer.from(rgb))).toBe(true);
    expect((await sharp(png).metadata()).format).toBe("png");
  });

  it("rejects a raster of the wrong size and invalid keywords or text", async () => {
    await expect(encodePng(new Uint8Array(11), 2, 2, {})).rejects.toThrow(/12 bytes, not 11/);
    await expect(encodePng(new Uint8Array(0), 0, 0, {})).rejects.toThrow(/positive integer/);
    await expect(encodePng(raster(1, 1), 1, 1, { ["k".repeat(80)]: "x" })).rejects.toThrow(/keyword/);
    await expect(encodePng(raster(1, 1), 1, 1, { "": "x" })).rejects.toThrow(/keyword/);
    await expect(encodePng(raster(1, 1), 1, 1, { "日本": "x" })).rejects.toThrow(/keyword/);
    await expect(encodePng(raster(1, 1), 1, 1, { " lead": "x" })).rejects.toThrow(/keyword/);
    await expect(encodePng(raster(1, 1), 1, 1, { k: "bad \ud800 surrogate" })).rejects.toThrow(/surrogate/);
    expect(readPngText(await encodePng(raster(1, 1), 1, 1, { ["k".repeat(79)]: "ok" }))).toEqual({ ["k".repeat(79)]: "ok" });
  });
});

describe("readPngText on PNGs made by hand", () => {
  it("reads tEXt and zTXt as Latin-1, and compressed and uncompressed iTXt as UTF-8", async () => {
    const png = handMadePng([
      chunk("tEXt", Buffer.concat([latin1("Title\0"), latin1("Café crème ©")])),
      chunk("zTXt", Buffer.concat([latin1("Description\0\0"), deflateSync(latin1("zipped Latin-1: déjà vu\n".repeat(20)))])),
      chunk("iTXt", Buffer.concat([latin1("Comment\0\x01\x00ja\0コメント\0"), deflateSync(Buffer.from("圧縮された 🎌", "utf8"))])),
      chunk("iTXt", Buffer.concat([latin1("plain\0\x00\x00en-GB\0\0"), Buffer.from("colour 🎨", "utf8")])),
      chunk("tEXt", latin1("no separator")), // malformed: skipped
      chunk("zTXt", Buffer.concat([latin1("broken\0\0"), latin1("not zlib")])), // bad zlib data: skipped
    ]);
    // The hand-made file is a valid PNG as far as libvips is concerned.
    expect((await sharp(png).metadata()).width).toBe(2);
    expect(readPngText(png)).toEqual({
      Title: "Café crème ©",
      Description: "zipped Latin-1: déjà vu\n".repeat(20),
      Comment: "圧縮された 🎌",
      plain: "colour 🎨",
    });
  });

  it("keeps the last text of a repeated keyword, and a keyword __proto__ as plain data", () => {
    const png = handMadePng([
      chunk("tEXt", latin1("Author\0first")),
      chunk("tEXt", latin1("Author\0second")),
      chunk("tEXt", latin1("__proto__\0polluted?")),
    ]);
    const text = readPngText(png);
    expect(text["Author"]).toBe("second");
    expect(Object.getOwnPropertyDescriptor(text, "__proto__")?.value).toBe("polluted?");
    expect(Object.getPrototypeOf(text)).toBe(Object.prototype);
  });

  it("returns no text for a PNG without text chunks", () => {
    expect(readPngText(handMadePng([]))).toEqual({});
  });

  it("throws a clear error for bytes that are not a PNG", () => {
    for (const bytes of [Buffer.from("hello, world"), new Uint8Array(0), Buffer.from("GIF89a\x01\x00\x01\x00")]) {
      let error: unknown;
      try {
        readPngText(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PngFormatError);
      expect((error as PngFormatError).notPng).toBe(true);
      expect((error as Error).message).toMatch(/not a PNG/);
    }
  });

  it("throws for a truncated or damaged PNG", () => {
    const png = handMadePng([chunk("tEXt", latin1("Title\0hello"))]);
    expect(() => readPngText(png.subarray(0, png.length - 6))).toThrow(/truncated/);
    const damaged = Buffer.from(png);
    damaged[damaged.indexOf("hello") + 1] = 0x21;
    expect(() => readPngText(damaged)).toThrow(/CRC mismatch in its tEXt chunk/);
    const e = (() => {
      try {
        readPngText(damaged);
      } catch (error) {
        return error as PngFormatError;
      }
      return undefined;
    })();
    expect(e?.notPng).toBe(false);
  });
});

describe("writeFileAtomic", () => {
  const siblings = (sub: string, name: string): string[] => readdirSync(join(dir, sub)).filter((f) => f.includes(name));

  it("writes the file and leaves no temporary file", () => {
    mkdirSync(join(dir, "sync"));
    const target = join(dir, "sync", "a.txt");
    writeFileAtomic(target, "première\n");
    expect(readFileSync(target, "utf8")).toBe("première\n");
    writeFileAtomic(target, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(target)]).toEqual([1, 2, 3]);
    expect(siblings("sync", "a.txt")).toEqual(["a.txt"]);
    expect(pendingTempFiles()).toEqual([]);
  });

  it("throws the file system's error and leaves nothing behind when the folder is missing", async () => {
    const target = join(dir, "no-such-folder", "a.png");
    expect(() => writeFileAtomic(target, "x")).toThrow(expect.objectContaining({ code: "ENOENT" }));
    await expect(writeFileAtomicAsync(target, "x")).rejects.toMatchObject({ code: "ENOENT" });
    expect(existsSync(join(dir, "no-such-folder"))).toBe(false);
    expect(pendingTempFiles()).toEqual([]);
  });

  it("removes the temporary file when the rename fails, and leaves the target as it was", async () => {
    mkdirSync(join(dir, "fail"));
    const target = join(dir, "fail", "out.png");
    mkdirSync(target); // a folder where the file should go: the rename fails after the data is written
    writeFileSync(join(target, "keep"), "kept");
    expect(() => writeFileAtomic(target, "data")).toThrow();
    await expect(writeFileAtomicAsync(target, "data")).rejects.toThrow();
    expect(siblings("fail", "out.png")).toEqual(["out.png"]);
    expect(readFileSync(join(target, "keep"), "utf8")).toBe("kept");
    expect(pendingTempFiles()).toEqual([]);
  });

  it("never shows a partial file at the target, and Ctrl-C cleanup removes the temporary file", async () => {
    mkdirSync(join(dir, "async"));
    const target = join(dir, "async", "big.bin");
    writeFileSync(target, "old");
    const data = new Uint8Array(64 << 20).fill(7);

    // Cancelled at once (its temporary file may not exist yet), then once the temporary file is there.
    for (const waitForTemp of [false, true]) {
      const write = writeFileAtomicAsync(target, data);
      const pending = pendingTempFiles();
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatch(/[/\\]\.big\.bin\.\d+\.[0-9a-f]{8}\.tmp$/);
      if (waitForTemp) {
        while (!existsSync(pending[0]!)) await new Promise((resolve) => setImmediate(resolve));
      }
      // The write is in flight: the target still holds the old bytes.
      expect(readFileSync(target, "utf8")).toBe("old");
      // What a SIGINT handler does:
      expect(removePendingTempFiles()).toEqual(pending);
      await expect(write).rejects.toMatchObject({ name: "AbortError" });
      expect(readFileSync(target, "utf8")).toBe("old");
      expect(siblings("async", "big.bin")).toEqual(["big.bin"]);
      expect(pendingTempFiles()).toEqual([]);
    }

    await writeFileAtomicAsync(target, data);
    expect(readFileSync(target).equals(Buffer.from(data))).toBe(true);
    expect(siblings("async", "big.bin")).toEqual(["big.bin"]);
  });

  it("stops on an aborted signal and cleans up", async () => {
    mkdirSync(join(dir, "abort"));
    const target = join(dir, "abort", "a.png");
    const controller = new AbortController();
    const write = writeFileAtomicAsync(target, new Uint8Array(64 << 20), { signal: controller.signal });
    controller.abort();
    await expect(write).rejects.toMatchObject({ name: "AbortError" });
    expect(readdirSync(join(dir, "abort"))).toEqual([]);
    expect(pendingTempFiles()).toEqual([]);
  });
});

describe("writePng", () => {
  it("writes an encoded PNG atomically", async () => {
    mkdirSync(join(dir, "png"));
    const target = join(dir, "png", "image.png");
    const rgb = raster(12, 10);
    const text = scenecPngText({ scene: "canvas 12 x 10\n", planSha256: "0".repeat(64), seed: 1n, version: "0.1.0" });
    await writePng(target, rgb, 12, 10, text);
    const bytes = readFileSync(target);
    expect(bytes.equals(Buffer.from(await encodePng(rgb, 12, 10, text)))).toBe(true);
    expect(readPngText(bytes)[KEY_SEED]).toBe("1");
    expect(readdirSync(join(dir, "png"))).toEqual(["image.png"]);
  });
});
