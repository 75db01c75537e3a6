import { constants, crc32, inflateSync } from "node:zlib";

/**
 * Reading the text chunks of a PNG (tEXt, zTXt, iTXt), and the keys under which `scenec render`
 * records how an image was made, so that `scenec info` (or any PNG tool: exiftool, Pillow's
 * `Image.text`) can tell it later.
 */

/** The scene's source text, as it was compiled. */
export const KEY_SCENE = "scenec:scene";
/** The SHA-256 of the execution plan (the canonical JSON `scenec plan --json` prints), lowercase hex. */
export const KEY_PLAN_SHA256 = "scenec:plan-sha256";
/** The canvas seed, in decimal. */
export const KEY_SEED = "scenec:seed";
/** scenec's version (package.json), e.g. `0.1.0`. */
export const KEY_VERSION = "scenec:version";
/** What else the render needs to be made again (model, command line, imported files): JSON, src/cli/render-record.ts. */
export const KEY_RENDER = "scenec:render";
/** Automatic1111's infotext (prompt, negative prompt, settings line), what SD tools' PNG Info reads: src/cli/a1111-parameters.ts. */
export const KEY_PARAMETERS = "parameters";
/** The standard PNG keyword for the program that made the image: `scenec VERSION`. */
export const KEY_SOFTWARE = "Software";

/** What `scenec render` records in every PNG it writes. */
export interface ScenecImageMetadata {
  scene: string;
  planSha256: string;
  seed: number | bigint | string;
  version: string;
}

/** The text chunks for an image's metadata, keyed by the KEY_ constants. */
export function scenecPngText(meta: ScenecImageMetadata): Record<string, string> {
  return {
    [KEY_SCENE]: meta.scene,
    [KEY_PLAN_SHA256]: meta.planSha256,
    [KEY_SEED]: String(meta.seed),
    [KEY_VERSION]: meta.version,
    [KEY_SOFTWARE]: `scenec ${meta.version}`,
  };
}

/** Whether a PNG's text carries scenec's metadata (any `scenec:` key; a `Software` line alone is not enough). */
export function hasScenecMetadata(text: Readonly<Record<string, string>>): boolean {
  return Object.keys(text).some((key) => key.startsWith("scenec:"));
}

/**
 * The bytes are not a PNG file: `notPng` is true when the signature is wrong (some other kind of
 * file), false when it is a PNG that is truncated or damaged.
 */
export class PngFormatError extends Error {
  constructor(
    message: string,
    readonly notPng: boolean,
  ) {
    super(message);
    this.name = "PngFormatError";
  }
}

export const PNG_SIGNATURE: readonly number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** One chunk of a PNG file, its data a view into the file's bytes. */
export interface PngChunkView {
  type: string;
  data: Uint8Array;
  /** Where the whole chunk (length, type, data, CRC) starts and ends in the file. */
  start: number;
  end: number;
}

/**
 * The chunks of a PNG, up to and including IEND, with every CRC checked. Throws PngFormatError
 * when the signature is wrong, IHDR is not first, a chunk is cut short or damaged, or IEND is missing.
 */
export function pngChunks(bytes: Uint8Array): PngChunkView[] {
  if (bytes.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new PngFormatError("not a PNG file (wrong signature)", true);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: PngChunkView[] = [];
  let pos = PNG_SIGNATURE.length;
  for (;;) {
    if (pos + 8 > bytes.length) throw new PngFormatError("truncated PNG file (no IEND chunk)", false);
    const length = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!, bytes[pos + 6]!, bytes[pos + 7]!);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new PngFormatError(`damaged PNG file (bad chunk type at byte ${pos + 4})`, false);
    if (chunks.length === 0 && type !== "IHDR") throw new PngFormatError(`damaged PNG file (first chunk is ${type}, not IHDR)`, false);
    const end = pos + 8 + length;
    if (end + 4 > bytes.length) throw new PngFormatError(`truncated PNG file (in its ${type} chunk)`, false);
    const crc = view.getUint32(end);
    if (crc32(bytes.subarray(pos + 4, end)) !== crc) {
      throw new PngFormatError(`damaged PNG file (CRC mismatch in its ${type} chunk)`, false);
    }
    chunks.push({ type, data: bytes.subarray(pos + 8, end), start: pos, end: end + 4 });
    if (type === "IEND") return chunks;
    pos = end + 4;
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** UTF-8, without a character cut in two at the end when the text itself was cut. */
function utf8(bytes: Uint8Array, cut: boolean): string {
  return new TextDecoder("utf-8").decode(bytes, { stream: cut });
}

/**
 * The most text read from one PNG, in bytes after decompression, all text chunks together (room
 * for any scene scenec compiles): a zTXt of a megabyte can inflate to a gigabyte. Text beyond it
 * is cut (see {@link PngText}).
 */
export const MAX_PNG_TEXT_BYTES = 8 * 1024 * 1024;

/** Deflate's largest expansion: 258 bytes from 2 bits. */
const MAX_DEFLATE_RATIO = 1032;

/** A text chunk's text bytes, at most `limit` of them, inflated when compressed without inflating more than `limit` + 1 bytes. */
function textBytes(body: Uint8Array, compressed: boolean, limit: number): { bytes: Uint8Array; cut: boolean } {
  const within = (bytes: Uint8Array, cut: boolean) => (bytes.length > limit ? { bytes: bytes.subarray(0, limit), cut: true } : { bytes, cut });
  if (!compressed) return within(body, false);
  try {
    return within(inflateSync(body, { maxOutputLength: limit + 1 }), false);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_BUFFER_TOO_LARGE") throw error;
  }
  // Over the limit. For the text's start, inflate only as much input as cannot expand past it.
  const start = body.subarray(0, Math.floor(limit / MAX_DEFLATE_RATIO));
  return within(inflateSync(start, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: limit + 1 }), true);
}

interface TextEntry {
  keyword: string;
  text: string;
  /** Text bytes read (after decompression), counted against the limit. */
  size: number;
  cut: boolean;
}

/**
 * A text chunk's keyword and text, at most `limit` bytes of it, or undefined when its content is
 * malformed (such chunks are skipped, as the PNG spec allows for ancillary chunks).
 */
function decodeTextChunk(chunk: PngChunkView, limit: number): TextEntry | undefined {
  const { type, data } = chunk;
  const nul = data.indexOf(0);
  if (nul < 1 || nul > 79) return undefined;
  const keyword = latin1(data.subarray(0, nul));
  const entry = (body: Uint8Array, compressed: boolean, decode: (bytes: Uint8Array, cut: boolean) => string): TextEntry => {
    const { bytes, cut } = textBytes(body, compressed, limit);
    return { keyword, text: decode(bytes, cut), size: bytes.length, cut };
  };
  try {
    if (type === "tEXt") return entry(data.subarray(nul + 1), false, latin1);
    if (type === "zTXt") {
      if (data[nul + 1] !== 0) return undefined; // compression method 0 (zlib) is the only one
      return entry(data.subarray(nul + 2), true, latin1);
    }
    // iTXt: keyword \0 flag method language \0 translated-keyword \0 text
    const flag = data[nul + 1];
    const method = data[nul + 2];
    const languageEnd = data.indexOf(0, nul + 3);
    if (languageEnd < 0) return undefined;
    const translatedEnd = data.indexOf(0, languageEnd + 1);
    if (translatedEnd < 0) return undefined;
    const text = data.subarray(translatedEnd + 1);
    if (flag === 0) return entry(text, false, utf8);
    if (flag === 1 && method === 0) return entry(text, true, utf8);
    return undefined;
  } catch {
    return undefined; // bad zlib data
  }
}

/** A PNG's text chunks, read within {@link MAX_PNG_TEXT_BYTES}. */
export interface PngText {
  /** Keyword → text. */
  text: Record<string, string>;
  /** The keywords whose text is only its start: the PNG holds more text than the limit. */
  truncated: string[];
}

/**
 * Every text chunk of a PNG (iTXt as UTF-8, compressed or not; tEXt and zTXt as Latin-1), keyword
 * → text, reading at most `limit` bytes of text in all. A keyword that appears twice keeps its
 * last text.
 */
export function pngText(chunks: readonly PngChunkView[], limit = MAX_PNG_TEXT_BYTES): PngText {
  const text: Record<string, string> = {};
  const truncated = new Set<string>();
  let left = limit;
  for (const chunk of chunks) {
    if (chunk.type !== "tEXt" && chunk.type !== "zTXt" && chunk.type !== "iTXt") continue;
    const entry = decodeTextChunk(chunk, left);
    if (!entry) continue;
    left -= entry.size;
    // Object.defineProperty, not assignment: a keyword `__proto__` is data, not the prototype.
    Object.defineProperty(text, entry.keyword, { value: entry.text, enumerable: true, writable: true, configurable: true });
    if (entry.cut) truncated.add(entry.keyword);
    else truncated.delete(entry.keyword);
  }
  return { text, truncated: [...truncated] };
}

/** {@link pngText}'s text of a whole PNG file. Throws PngFormatError for bytes that are not a whole, undamaged PNG. */
export function readPngText(bytes: Uint8Array): Record<string, string> {
  return pngText(pngChunks(bytes)).text;
}
