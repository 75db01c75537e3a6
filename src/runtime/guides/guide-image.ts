import { createHash } from "node:crypto";
import sharp from "sharp";
import { maxGuideBytes } from "../../compiler/host.js";
import { readRegularFile } from "../../compiler/node-host.js";
import type { FitMode, PlanGuide } from "../../compiler/plan/plan.js";

/** A guide image resized into its rectangle: RGB in [-1, 1] (planar) and alpha in [0, 1]. */
export interface GuidePixels {
  width: number;
  height: number;
  /** [3, height, width]. */
  rgb: Float32Array;
  /** [height, width]: how much each pixel is pinned (transparent pixels are not). */
  alpha: Float32Array;
}

const SHARP_FIT: Record<FitMode, "fill" | "cover" | "contain"> = { stretch: "fill", cover: "cover", contain: "contain" };

/** A guide image that cannot be used at render time (the CLI reports it as a user error, exit 2). */
export class GuideImageError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = "GuideImageError";
  }
}

/** A file the plan read (a guide or mask image, or the noise file) changed after the compile that hashed it. */
export class StaleGuideError extends GuideImageError {
  constructor(file: string, what: "guide image" | "mask image" | "noise file" = "guide image") {
    super(`${what} ${file} has changed since the plan was made; compile the scene again`, file);
    this.name = "StaleGuideError";
  }
}

/**
 * Reads a guide image (any format sharp reads), applies its EXIF orientation and resizes it into
 * the guide's rectangle: `stretch` ignores the aspect ratio, `cover` fills and crops the overflow
 * (centred), `contain` fits inside and leaves the margins transparent, so they are not pinned.
 */
export async function loadGuidePixels(file: string, guide: PlanGuide): Promise<GuidePixels> {
  // A saved plan may name any file: only a regular file no larger than its recorded size allows is read.
  const read = readRegularFile(file, maxGuideBytes({ maxGuidePixels: guide.imageSize.width * guide.imageSize.height }));
  if (!read.ok) throw new GuideImageError(`cannot read guide image ${file}: ${read.reason === "missing" ? "no such file" : read.message}`, file);
  const bytes = read.bytes;
  if (createHash("sha256").update(bytes).digest("hex") !== guide.sha256) throw new StaleGuideError(file);
  const { width, height } = guide.rect;
  const decoded = sharp(bytes, { limitInputPixels: Math.max(guide.imageSize.width * guide.imageSize.height, 1) })
    .rotate()
    .ensureAlpha()
    .resize(width, height, { fit: SHARP_FIT[guide.fit], position: "centre", background: { r: 0, g: 0, b: 0, alpha: 0 }, kernel: "lanczos3" })
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: Error) => {
      throw new GuideImageError(`guide image ${file} cannot be decoded: ${error.message}`, file);
    });
  const { data } = await decoded;
  const plane = width * height;
  const rgb = new Float32Array(3 * plane);
  const alpha = new Float32Array(plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) rgb[c * plane + i] = data[i * 4 + c]! / 127.5 - 1;
    alpha[i] = data[i * 4 + 3]! / 255;
  }
  return { width, height, rgb, alpha };
}
