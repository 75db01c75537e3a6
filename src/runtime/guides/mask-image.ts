import { createHash } from "node:crypto";
import path from "node:path";
import sharp from "sharp";
import { maxGuideBytes } from "../../compiler/host.js";
import { readRegularFile } from "../../compiler/node-host.js";
import type { MaskImage } from "../../compiler/plan/image-mask.js";
import type { Plan, PlanMask } from "../../compiler/plan/plan.js";
import { GuideImageError, StaleGuideError } from "./guide-image.js";

/**
 * Decodes a mask image (any format sharp reads) at its own size after EXIF orientation: its alpha
 * when it has any transparency, else its grey level, one byte a pixel (an opaque alpha channel,
 * as many editors export, says nothing). The compile-time host and the renderer both decode with
 * this, so the compiler checks exactly the mask the renderer mixes by. Fails on the decoder's
 * warnings, as sharp does by default: a damaged file is an error, not half a mask.
 */
export async function decodeMaskImage(bytes: Uint8Array, pixels: number): Promise<MaskImage> {
  const input = () => sharp(bytes, { limitInputPixels: Math.max(pixels, 1) }).rotate();
  const { hasAlpha } = await input().metadata();
  const channel = async (image: ReturnType<typeof sharp>): Promise<MaskImage> => {
    const { data, info } = await image.toColourspace("b-w").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`decoded to ${info.channels} channels, not 1`);
    return { width: info.width, height: info.height, membership: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  };
  if (hasAlpha) {
    const alpha = await channel(input().extractChannel("alpha"));
    if (alpha.membership.some((a) => a < 255)) return alpha;
  }
  return channel(input().removeAlpha().greyscale());
}

/** Reads a plan's mask file from `file`, refusing one whose content has changed since the plan was made. */
export async function loadMaskImage(file: string, mask: PlanMask): Promise<MaskImage> {
  const pixels = mask.imageSize.width * mask.imageSize.height;
  // A saved plan may name any file: only a regular file no larger than its recorded size allows is read.
  const read = readRegularFile(file, maxGuideBytes({ maxGuidePixels: pixels }));
  if (!read.ok) throw new GuideImageError(`cannot read mask image ${file}: ${read.reason === "missing" ? "no such file" : read.message}`, file);
  if (createHash("sha256").update(read.bytes).digest("hex") !== mask.sha256) throw new StaleGuideError(file, "mask image");
  return decodeMaskImage(read.bytes, pixels).catch((error: Error) => {
    throw new GuideImageError(`mask image ${file} cannot be decoded: ${error.message}`, file);
  });
}

/**
 * The plan's mask images (its regions' and guides') by sha256, each decoded once per content hash and kept in `cache` for
 * the next render (only this plan's stay: watch mode's edits would otherwise pile up). A file
 * whose content is not the plan's is refused (StaleGuideError), as a changed guide is.
 */
export async function loadPlanMasks(plan: Pick<Plan, "regions" | "guides">, folder: string, cache = new Map<string, MaskImage>()): Promise<Map<string, MaskImage>> {
  const masks = new Map<string, MaskImage>();
  for (const { mask } of [...plan.regions, ...plan.guides]) {
    if (!mask || masks.has(mask.sha256)) continue;
    let image = cache.get(mask.sha256);
    if (!image) cache.set(mask.sha256, (image = await loadMaskImage(path.resolve(folder, mask.path), mask)));
    masks.set(mask.sha256, image);
  }
  for (const sha256 of cache.keys()) if (!masks.has(sha256)) cache.delete(sha256);
  return masks;
}
