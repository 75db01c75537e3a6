import { constants, crc32, deflateRawSync, deflateSync } from "node:zlib";

/** PNG files built by hand, chunk by chunk, independently of the code under test. */

/** A PNG chunk: length, type, data, CRC. */
export function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A 2 x 1 RGB IHDR chunk. */
export function ihdr2x1(): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(2, 0);
  data.writeUInt32BE(1, 4);
  data[8] = 8; // bit depth
  data[9] = 2; // RGB
  return chunk("IHDR", data);
}

/** A 2 x 1 RGB PNG, with the given extra chunks between IDAT and IEND. */
export function handMadePng(extra: Buffer[]): Buffer {
  const idat = deflateSync(Buffer.from([0, 255, 0, 0, 0, 0, 255])); // filter 0, red, blue
  return Buffer.concat([PNG_SIGNATURE, ihdr2x1(), chunk("IDAT", idat), ...extra, chunk("IEND", new Uint8Array(0))]);
}

export const latin1 = (s: string): Buffer => Buffer.from(s, "latin1");

/**
 * A zlib stream that inflates to `mebibytes` MiB of zeros, about 1 KB per MiB, made without ever
 * holding the zeros: one full-flushed deflate block of 1 MiB repeated (a full flush resets the
 * window, so the blocks are independent), a final empty block and the Adler-32 of the whole.
 */
export function zlibZeros(mebibytes: number): Buffer {
  const block = deflateRawSync(Buffer.alloc(1 << 20), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const size = mebibytes * 2 ** 20;
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((size % 65521) << 16) | 1) >>> 0, 0); // zeros: a = 1, b = size mod 65521
  return Buffer.concat([Buffer.from([0x78, 0xda]), ...Array<Buffer>(mebibytes).fill(block), Buffer.from([0x03, 0x00]), adler]);
}
