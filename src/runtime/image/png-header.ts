import { PngFormatError, type PngChunkView } from "./png-text.js";

/**
 * A PNG's image header (IHDR), checked against the PNG specification together with the chunks
 * that must go with it, so that a damaged file is reported by what is wrong with it (libvips only
 * says "corrupt header").
 */

export interface PngHeader {
  width: number;
  height: number;
}

/** The bit depths each colour type allows (PNG specification, table 11.1). */
const BIT_DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16], // greyscale
  2: [8, 16], // truecolour
  3: [1, 2, 4, 8], // indexed
  4: [8, 16], // greyscale with alpha
  6: [8, 16], // truecolour with alpha
};

/** The largest width or height (2^31 − 1). */
const MAX_SIDE = 0x7fffffff;

function damaged(what: string): PngFormatError {
  return new PngFormatError(`damaged PNG file (${what})`, false);
}

/**
 * The size in a PNG's header, for a PNG split by `pngChunks` (IHDR first, IEND last). Throws PngFormatError when
 * IHDR is malformed or out of range, an indexed image has no PLTE before its image data, or the
 * image data (IDAT) is missing or split by other chunks.
 */
export function pngHeader(chunks: readonly PngChunkView[]): PngHeader {
  const ihdr = chunks[0]!.data;
  if (ihdr.length !== 13) throw damaged(`its IHDR chunk is ${ihdr.length} bytes long, not 13`);
  const view = new DataView(ihdr.buffer, ihdr.byteOffset, ihdr.byteLength);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
    throw damaged(`its IHDR chunk gives a size of ${width} x ${height} pixels; each side must be from 1 to ${MAX_SIDE}`);
  }
  const [bitDepth, colorType, compression, filter, interlace] = [ihdr[8]!, ihdr[9]!, ihdr[10]!, ihdr[11]!, ihdr[12]!];
  const depths = BIT_DEPTHS[colorType];
  if (depths === undefined) throw damaged(`its IHDR chunk gives colour type ${colorType}; the PNG colour types are 0, 2, 3, 4 and 6`);
  if (!depths.includes(bitDepth)) throw damaged(`its IHDR chunk gives bit depth ${bitDepth} for colour type ${colorType}, which allows ${depths.join(", ")}`);
  if (compression !== 0 || filter !== 0) throw damaged(`its IHDR chunk gives compression method ${compression} and filter method ${filter}; PNG has only method 0 of each`);
  if (interlace > 1) throw damaged(`its IHDR chunk gives interlace method ${interlace}; PNG has 0 (none) and 1 (Adam7)`);

  const types = chunks.map((chunk) => chunk.type);
  const first = types.indexOf("IDAT");
  if (first < 0) throw damaged("it has no IDAT chunk, so no image data");
  const last = types.lastIndexOf("IDAT");
  if (types.slice(first, last + 1).some((type) => type !== "IDAT")) throw damaged("its IDAT chunks are not consecutive");
  if (colorType === 3 && !types.slice(0, first).includes("PLTE")) throw damaged("it is an indexed-colour image without a PLTE chunk before its image data");
  return { width, height };
}
