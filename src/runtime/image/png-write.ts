import { crc32 } from "node:zlib";
import sharp from "sharp";
import { writeFileAtomicAsync, type AtomicWriteOptions } from "./atomic-write.js";
import { pngChunks, PNG_SIGNATURE } from "./png-text.js";

/**
 * Encoding rendered images as PNG: sharp (libvips) compresses the 8-bit RGB raster with fixed
 * options, and the text (the scene, its seed, …; see png-text.ts) goes in just before IEND, each
 * as Pillow's `PngInfo.add_text` (so Automatic1111) writes it: `tEXt` when it is Latin-1, which
 * every PNG reader knows, else uncompressed UTF-8 `iTXt`. The same pixels and text always give the
 * same bytes.
 */

/** zlib level for every PNG scenec writes; fixed so the output never depends on a library default. */
const PNG_COMPRESSION_LEVEL = 6;

/** Chunks sharp might add that carry time or metadata; dropped so that only the caller's text is in the file. */
const DROPPED_CHUNKS = new Set(["tIME", "tEXt", "zTXt", "iTXt", "eXIf", "iCCP"]);

/** The largest chunk the PNG format allows (2^31 − 1 bytes). */
const MAX_CHUNK_LENGTH = 0x7fffffff;

/**
 * Throws unless `keyword` is a valid PNG text keyword: 1–79 printable Latin-1 characters (32–126,
 * 161–255), no leading, trailing or doubled spaces.
 */
function checkPngKeyword(keyword: string): void {
  const valid =
    keyword.length >= 1 &&
    keyword.length <= 79 &&
    /^[\x20-\x7e\xa1-\xff]+$/.test(keyword) &&
    !keyword.startsWith(" ") &&
    !keyword.endsWith(" ") &&
    !keyword.includes("  ");
  if (!valid) {
    throw new RangeError(
      `invalid PNG text keyword ${JSON.stringify(keyword)}: it must be 1 to 79 printable Latin-1 characters, without leading, trailing or doubled spaces`,
    );
  }
}

/** The data of a tEXt chunk: keyword \0 Latin-1 text. */
function tEXtChunkData(keyword: string, text: string): Uint8Array {
  const data = Buffer.from(`${keyword}\0${text}`, "latin1");
  if (data.length > MAX_CHUNK_LENGTH) throw new RangeError(`the text of PNG keyword ${keyword} is too long for a PNG chunk`);
  return data;
}

/** The data of an uncompressed iTXt chunk: keyword \0, flag 0, method 0, language "" \0, translated keyword "" \0, UTF-8 text. */
function iTXtChunkData(keyword: string, text: string): Uint8Array {
  if (/\p{Cs}/u.test(text)) throw new RangeError(`the text of PNG keyword ${keyword} has an unpaired surrogate; it cannot be written as UTF-8`);
  const key = Buffer.from(keyword, "latin1");
  const body = Buffer.from(text, "utf8");
  const data = new Uint8Array(key.length + 5 + body.length);
  if (data.length > MAX_CHUNK_LENGTH) throw new RangeError(`the text of PNG keyword ${keyword} is too long for a PNG chunk`);
  data.set(key, 0);
  // data[key.length .. key.length + 4] stay 0: the keyword's \0, compression flag 0, method 0,
  // the empty language tag's \0 and the empty translated keyword's \0.
  data.set(body, key.length + 5);
  return data;
}

function checkRaster(rgb: Uint8Array, width: number, height: number): void {
  for (const [name, value] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`PNG ${name} must be a positive integer, not ${value}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new RangeError(`an RGB raster of ${width} x ${height} has ${width * height * 3} bytes, not ${rgb.length}`);
  }
}

/** One PNG chunk: its data's length (big-endian), its type, the data, and the CRC-32 of type and data. */
function encodeChunk(type: string, data: Uint8Array): Buffer {
  const bytes = Buffer.alloc(12 + data.length);
  bytes.writeUInt32BE(data.length, 0);
  bytes.write(type, 4, "latin1");
  bytes.set(data, 8);
  bytes.writeUInt32BE(crc32(bytes.subarray(4, 8 + data.length)), 8 + data.length);
  return bytes;
}

/**
 * A PNG of an 8-bit RGB raster (row-major, 3 bytes a pixel, no padding) with the given text as
 * tEXt or iTXt chunks, in keyword order. Deterministic: the same arguments give the same bytes.
 */
export async function encodePng(
  rgb: Uint8Array,
  width: number,
  height: number,
  text: Readonly<Record<string, string>>,
): Promise<Uint8Array> {
  checkRaster(rgb, width, height);
  const keywords = Object.keys(text).sort();
  const textChunks = keywords.map((keyword) => {
    checkPngKeyword(keyword);
    const value = text[keyword]!;
    return /^[\0-\xff]*$/.test(value) ? encodeChunk("tEXt", tEXtChunkData(keyword, value)) : encodeChunk("iTXt", iTXtChunkData(keyword, value));
  });

  const encoded = await sharp(rgb, { raw: { width, height, channels: 3 }, limitInputPixels: false })
    .png({ compressionLevel: PNG_COMPRESSION_LEVEL, adaptiveFiltering: false, palette: false, progressive: false })
    .toBuffer();

  // sharp's chunks are copied as they are (their CRCs are checked on reading); the text chunks and
  // IEND are encoded here.
  const kept = pngChunks(encoded).filter((chunk) => chunk.type !== "IEND" && !DROPPED_CHUNKS.has(chunk.type));
  return Buffer.concat([
    Uint8Array.from(PNG_SIGNATURE),
    ...kept.map((chunk) => encoded.subarray(chunk.start, chunk.end)),
    ...textChunks,
    encodeChunk("IEND", new Uint8Array(0)),
  ]);
}

/** {@link encodePng}, then an atomic write to `path` (see atomic-write.ts; errors are Node's, unwrapped). */
export async function writePng(
  path: string,
  rgb: Uint8Array,
  width: number,
  height: number,
  text: Readonly<Record<string, string>>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const bytes = await encodePng(rgb, width, height, text);
  await writeFileAtomicAsync(path, bytes, options);
}
