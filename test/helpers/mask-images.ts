import sharp from "sharp";

/**
 * A `size` x `size` PNG of a white L on black: the left quarter of the columns and the bottom
 * quarter of the rows. With `alpha`, a white L on transparent instead.
 */
export async function lMask(size: number, options: { alpha?: boolean } = {}): Promise<Uint8Array> {
  const q = size / 4;
  const background = options.alpha ? "" : `<rect width="${size}" height="${size}" fill="black"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">${background}<path d="M0 0 H${q} V${size - q} H${size} V${size} H0 Z" fill="white"/></svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}
