import { crc32 } from "node:zlib";

/**
 * A cheap check that an image file is whole, for formats where that is cheap to tell: every PNG
 * chunk intact (length, CRC) up to IEND; a JPEG ending with its end-of-image marker; a GIF with
 * its trailer; a WebP whose RIFF size matches the file. Returns what is wrong, or undefined.
 * The compiler cannot decode images (it is synchronous and pure), but a file cut short by a
 * failed download must be a diagnostic, not a failure halfway through a render.
 */
export function imageDamage(bytes: Uint8Array, type: string | undefined): string | undefined {
  switch (type) {
    case "png":
      return pngDamage(bytes);
    case "jpg": {
      // End-of-image marker, allowing trailing padding some writers add.
      let end = bytes.length;
      while (end > 0 && bytes[end - 1] === 0) end--;
      return bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9 ? undefined : "the JPEG data ends early (no end-of-image marker)";
    }
    case "gif":
      return bytes[bytes.length - 1] === 0x3b ? undefined : "the GIF data ends early (no trailer)";
    case "webp": {
      const size = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) >>> 0;
      return size + 8 <= bytes.length ? undefined : `the WebP file is ${bytes.length} bytes but says ${size + 8}`;
    }
    default:
      return undefined;
  }
}

function pngDamage(bytes: Uint8Array): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (end > bytes.length) return "the PNG data ends in the middle of a chunk";
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) return `the PNG chunk \`${type}\` is damaged (bad checksum)`;
    if (type === "IEND") return undefined;
    at = end;
  }
  return "the PNG data ends early (no IEND chunk)";
}
