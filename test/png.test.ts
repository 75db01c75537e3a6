import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
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
  MAX_PNG_TEXT_BYTES,
  pngChunks,
  PngFormatError,
  pngText,
  readPngText,
  scenecPngText,
} from "../src/runtime/image/png-text.js";
import { pngHeader } from "../src/runtime/image/png-header.js";
import { chunk, handMadePng, ihdr2x1, latin1, PNG_SIGNATURE, zlibZeros } from "./helpers/png-chunks.js";

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

  it("puts tEXt chunks (Latin-1 text) and uncompressed iTXt chunks (other text) after the image data, just before IEND, and nothing time-dependent", async () => {
    const png = await encodePng(raster(4, 4), 4, 4, meta);
    const types = pngChunks(png).map((c) => c.type);
    expect(types[0]).toBe("IHDR");
    // Software, scenec:plan-sha256, scenec:scene (CJK, emoji: not Latin-1), scenec:seed, scenec:version.
    expect(types.slice(-6)).toEqual(["tEXt", "tEXt", "iTXt", "tEXt", "tEXt", "IEND"]);
    expect(types.lastIndexOf("IDAT")).toBeLessThan(types.indexOf("tEXt"));
    expect(types).not.toContain("tIME");
    // The file ends with the text chunks and IEND exactly as they are built by hand (length, type, data, CRC).
    const tail = Buffer.concat([
      ...Object.keys(meta)
        .sort()
        .map((keyword) =>
          keyword === KEY_SCENE
            ? chunk("iTXt", Buffer.concat([latin1(keyword), Buffer.alloc(5), Buffer.from(meta[keyword]!, "utf8")]))
            : chunk("tEXt", latin1(`${keyword}\0${meta[keyword]!}`)),
        ),
      chunk("IEND", new Uint8Array(0)),
    ]);
    expect(Buffer.from(png).subarray(-tail.length).equals(tail)).toBe(true);
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

describe("reading text within bounds", () => {
  const MiB = 2 ** 20;
  const zTXt = (keyword: string, zlib: Buffer) => chunk("zTXt", Buffer.concat([latin1(`${keyword}\0\0`), zlib]));
  const compressedITXt = (keyword: string, zlib: Buffer) => chunk("iTXt", Buffer.concat([latin1(`${keyword}\0\x01\x00\0\0`), zlib]));

  // The start is what inflates from as much input as cannot pass the limit: nearly all of it for zeros.
  const nearlyTheLimit = (text: string | undefined) => {
    expect(text!.length).toBeGreaterThan(MAX_PNG_TEXT_BYTES * 0.95);
    expect(text!.length).toBeLessThanOrEqual(MAX_PNG_TEXT_BYTES);
  };

  it("cuts a zTXt that inflates past the limit to its start", () => {
    nearlyTheLimit(readPngText(handMadePng([zTXt("Comment", zlibZeros(MAX_PNG_TEXT_BYTES / MiB + 1))]))["Comment"]);
  });

  it("reads only the start of a 1 MB zTXt or iTXt that inflates to 1 GiB, and says it was cut", () => {
    const bomb = zlibZeros(1024);
    expect(bomb.length).toBeLessThan(1.1e6);
    for (const make of [zTXt, compressedITXt]) {
      const read = pngText(pngChunks(handMadePng([make("scenec:scene", bomb), chunk("tEXt", latin1("scenec:seed\x007")), make("Comment", bomb)])));
      nearlyTheLimit(read.text["scenec:scene"]);
      expect(/^\0+$/.test(read.text["scenec:scene"]!)).toBe(true);
      // The rest of the limit goes to the chunks that follow.
      expect(read.text["scenec:seed"]).toBe("7");
      const total = Object.values(read.text).reduce((sum, text) => sum + text.length, 0);
      expect(total).toBeLessThanOrEqual(MAX_PNG_TEXT_BYTES);
      expect(read.truncated).toEqual(["scenec:scene", "Comment"]);
    }
  });

  it("counts every chunk against one limit, and cuts UTF-8 between characters", () => {
    const big = "é".repeat(6); // 12 bytes of UTF-8
    const png = handMadePng([
      chunk("tEXt", latin1("first\0abcdefghij")),
      chunk("iTXt", Buffer.concat([latin1("second\0\x00\x00\0\0"), Buffer.from(big, "utf8")])),
      zTXt("third", deflateSync(latin1("xyz"))),
    ]);
    expect(pngText(pngChunks(png), 100)).toEqual({ text: { first: "abcdefghij", second: big, third: "xyz" }, truncated: [] });
    expect(pngText(pngChunks(png), 15)).toEqual({ text: { first: "abcdefghij", second: "éé", third: "" }, truncated: ["second", "third"] });
    expect(pngText(pngChunks(png), 4)).toEqual({ text: { first: "abcd", second: "", third: "" }, truncated: ["first", "second", "third"] });
  });

  it("a keyword's last text decides whether it is cut", () => {
    const png = handMadePng([chunk("tEXt", latin1("k\0long text")), chunk("tEXt", latin1("k\0"))]);
    expect(pngText(pngChunks(png), 6)).toEqual({ text: { k: "" }, truncated: [] });
  });
});

describe("pngHeader", () => {
  const ihdr = (width: number, height: number, depth: number, colour: number, rest = [0, 0, 0]) => {
    const data = Buffer.alloc(13);
    data.writeUInt32BE(width, 0);
    data.writeUInt32BE(height, 4);
    data.set([depth, colour, ...rest], 8);
    return chunk("IHDR", data);
  };
  const idat = chunk("IDAT", deflateSync(Buffer.from([0, 255, 0, 0, 0, 0, 255])));
  const iend = chunk("IEND", new Uint8Array(0));
  const header = (...chunks: Buffer[]) => pngHeader(pngChunks(Buffer.concat([PNG_SIGNATURE, ...chunks])));

  it("reads the size", () => {
    expect(pngHeader(pngChunks(handMadePng([])))).toEqual({ width: 2, height: 1 });
  });

  it("says what is wrong with a PNG whose header or image data is missing or malformed", () => {
    expect(() => header(ihdr2x1(), iend)).toThrow("damaged PNG file (it has no IDAT chunk, so no image data)");
    expect(() => header(chunk("IHDR", Buffer.alloc(12)), idat, iend)).toThrow("its IHDR chunk is 12 bytes long, not 13");
    expect(() => header(ihdr(0, 1, 8, 2), idat, iend)).toThrow("gives a size of 0 x 1 pixels; each side must be from 1 to 2147483647");
    expect(() => header(ihdr(2, 2 ** 31, 8, 2), idat, iend)).toThrow("a size of 2 x 2147483648 pixels");
    expect(() => header(ihdr(2, 1, 8, 5), idat, iend)).toThrow("colour type 5; the PNG colour types are 0, 2, 3, 4 and 6");
    expect(() => header(ihdr(2, 1, 4, 2), idat, iend)).toThrow("bit depth 4 for colour type 2, which allows 8, 16");
    expect(() => header(ihdr(2, 1, 8, 2, [1, 0, 0]), idat, iend)).toThrow("compression method 1 and filter method 0");
    expect(() => header(ihdr(2, 1, 8, 2, [0, 0, 2]), idat, iend)).toThrow("interlace method 2");
    expect(() => header(ihdr(2, 1, 8, 3), idat, iend)).toThrow("an indexed-colour image without a PLTE chunk before its image data");
    expect(() => header(ihdr2x1(), idat, chunk("tEXt", latin1("a\0b")), idat, iend)).toThrow("its IDAT chunks are not consecutive");
    expect(header(ihdr(2, 1, 8, 3), chunk("PLTE", Buffer.alloc(3)), idat, idat, iend)).toEqual({ width: 2, height: 1 });
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
