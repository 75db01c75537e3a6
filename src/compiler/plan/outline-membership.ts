import { imageMask, type MaskImages, type MaskPlacement } from "./image-mask.js";
import type { PlanShape } from "./plan.js";
import { shapeMask } from "./shape-mask.js";

/** Where in its rectangle a region or guide paints: a shape, or a mask image by the hash of its file. */
export interface Outline {
  shape?: PlanShape | undefined;
  mask?: (MaskPlacement & { sha256: string }) | undefined;
}

/**
 * A function giving an outline's membership, 0 to 1, in each latent element of a `width × height`
 * pixel rectangle (`factor` pixels an element), or undefined for all of it: no outline, or a mask
 * whose image is not in `images`. Regions' weight maps and guides' pinned areas both take theirs
 * from here. Masks of one image laid the same way over rectangles of one size are made once.
 */
export function memberships(images: MaskImages): (outline: Outline, rect: { width: number; height: number }, factor: number) => Float32Array | undefined {
  const masks = new Map<string, Float32Array>();
  return ({ shape, mask }, rect, factor) => {
    if (shape) return shapeMask(shape, rect.width, rect.height, factor);
    const image = mask && images.get(mask.sha256);
    if (!mask || !image) return undefined;
    const key = `${mask.sha256}:${mask.fit}:${mask.feather}:${mask.invert}:${rect.width}x${rect.height}`;
    let m = masks.get(key);
    if (!m) masks.set(key, (m = imageMask(image, mask, rect.width, rect.height, factor)));
    return m;
  };
}
