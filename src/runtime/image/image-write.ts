import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import sharp from "sharp";
import { IMAGE_EXTENSIONS, imageFormatOf } from "../../compiler/check/project-root.js";
import { writeFileAtomicAsync, type AtomicWriteOptions } from "./atomic-write.js";
import { encodePng } from "./png-write.js";

/**
 * Rendered pictures in the format their file name asks for: PNG with the render's text chunks
 * (png-write.ts; what `scenec info` reads), or JPEG / WebP encoded by sharp at a fixed quality,
 * which carry no text. The same pixels always give the same bytes.
 */

/** Fixed, so that the bytes never depend on a library default. */
const QUALITY = 92;

/** The picture encoded for `file`'s extension (.png, .jpg, .jpeg, .webp); a RangeError for any other name. */
export async function encodeImage(file: string, rgb: Uint8Array, width: number, height: number, text: Readonly<Record<string, string>>): Promise<Uint8Array> {
  const format = imageFormatOf(file);
  if (format === undefined) throw new RangeError(`${file} is not an image file name (${IMAGE_EXTENSIONS})`);
  if (format === "png") return encodePng(rgb, width, height, text);
  const raw = sharp(rgb, { raw: { width, height, channels: 3 }, limitInputPixels: false });
  // 4:4:4: no chroma subsampling, which would blur the colour edges between regions.
  return format === "jpeg" ? raw.jpeg({ quality: QUALITY, chromaSubsampling: "4:4:4", mozjpeg: false }).toBuffer() : raw.webp({ quality: QUALITY }).toBuffer();
}

/** Writes encoded picture bytes atomically, creating the file's folder when it is missing. */
export async function writeImageFile(file: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomicAsync(file, bytes, options);
}

/** {@link encodeImage}, then {@link writeImageFile}. Errors are Node's, unwrapped. */
export async function writeImage(file: string, rgb: Uint8Array, width: number, height: number, text: Readonly<Record<string, string>>): Promise<void> {
  await writeImageFile(file, await encodeImage(file, rgb, width, height, text));
}
