import { DEFAULT_LIMITS, maxGuideBytes } from "../../compiler/host.js";
import { readRegularFile } from "../../compiler/node-host.js";
import { pngChunks, pngText, PngFormatError } from "../../runtime/image/png-text.js";
import { CliError } from "../errors.js";

/** PNG files, by name: what `scenec render` reads as a rendered picture rather than a scene. */
export const PNG_FILE = /\.png$/i;

/**
 * A PNG file's text chunks (keyword → text), or CliError: a file that cannot be read (only a
 * regular file no larger than the largest guide image is), or one that is not a whole PNG.
 */
export function readPngTextFile(file: string): Record<string, string> {
  const read = readRegularFile(file, maxGuideBytes(DEFAULT_LIMITS));
  if (!read.ok) throw new CliError(`cannot read ${file}: ${read.reason === "missing" ? "no such file or directory" : read.message}`);
  try {
    return pngText(pngChunks(read.bytes)).text;
  } catch (error) {
    if (error instanceof PngFormatError) throw new CliError(error.notPng ? `${file} is not a PNG` : `${file} is not a valid PNG: ${error.message}`);
    throw error;
  }
}
