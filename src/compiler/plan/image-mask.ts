import type { FitMode } from "./plan.js";

/**
 * A mask image as decoded: one byte a pixel, 0 (outside) to 255 (inside), row by row, after EXIF
 * orientation; its grey level, or its alpha when it has one. Hosts decode it (the compiler is
 * synchronous and image decoding is not: src/cli/guide-check.ts) and so does the renderer
 * (src/runtime/guides/mask-image.ts), with the same decoder, so both see the same bytes.
 */
export interface MaskImage {
  width: number;
  height: number;
  membership: Uint8Array;
}

/** Decoded mask images by the sha256 of their files. */
export type MaskImages = ReadonlyMap<string, MaskImage>;

/** How a mask image is laid over its rectangle. */
export interface MaskPlacement {
  fit: FitMode;
  /** Pixels: membership is averaged over a square this wide (0: the image's own edges). */
  feather: number;
  invert: boolean;
}

/**
 * A region's membership in its mask image, per latent element of its `width × height`-pixel
 * rectangle (multiples of `factor`): the image placed by `fit` as guides are (`stretch` to the
 * rectangle, `cover` centred with the excess cut off, `contain` centred with margins outside the
 * mask), then each element the exact area-weighted mean of the image pixels over it, so an edge
 * that crosses an element leaves it fractional. `feather` then averages over a square of that
 * many pixels, which turns a hard edge into a linear ramp across it, as a shape's feather does;
 * the rectangle's own sides are not edges (the average takes the side's values beyond them).
 */
export function imageMask(image: MaskImage, placement: MaskPlacement, width: number, height: number, factor: number): Float32Array {
  const columns = width / factor;
  const rows = height / factor;
  const { scaleX, scaleY, offsetX, offsetY } = place(image, placement.fit, width, height);
  const across = overlaps(image.width, scaleX / factor, offsetX / factor, columns);
  const down = overlaps(image.height, scaleY / factor, offsetY / factor, rows);
  const sums = new Float64Array(columns * rows);
  const row = new Float64Array(columns);
  // Row by row of the image: its row's share of each column, then that row's share of each element row.
  for (let y = 0; y < image.height; y++) {
    if (down.count[y] === 0) continue;
    row.fill(0);
    const line = y * image.width;
    for (let x = 0; x < image.width; x++) {
      const m = image.membership[line + x]!;
      if (m === 0) continue;
      for (let k = 0; k < across.count[x]!; k++) row[across.first[x]! + k]! += m * across.weights[across.offset[x]! + k]!;
    }
    for (let k = 0; k < down.count[y]!; k++) {
      const wy = down.weights[down.offset[y]! + k]! / 255;
      const to = (down.first[y]! + k) * columns;
      for (let i = 0; i < columns; i++) sums[to + i]! += wy * row[i]!;
    }
  }
  const softened = boxAverage(sums, columns, rows, placement.feather / factor);
  const mask = new Float32Array(columns * rows);
  for (let e = 0; e < mask.length; e++) {
    const m = Math.min(1, Math.max(0, softened[e]!));
    mask[e] = placement.invert ? 1 - m : m;
  }
  return mask;
}

/** The image's scale and top-left corner in the rectangle, in pixels. */
function place(image: MaskImage, fit: FitMode, width: number, height: number): { scaleX: number; scaleY: number; offsetX: number; offsetY: number } {
  if (fit === "stretch") return { scaleX: width / image.width, scaleY: height / image.height, offsetX: 0, offsetY: 0 };
  const scale = (fit === "cover" ? Math.max : Math.min)(width / image.width, height / image.height);
  return { scaleX: scale, scaleY: scale, offsetX: (width - image.width * scale) / 2, offsetY: (height - image.height * scale) / 2 };
}

/**
 * Along one axis: how much of each of `n` elements each of `pixels` image pixels covers, when
 * pixel p spans [offset + p·scale, offset + (p + 1)·scale] in element units. Pixel p covers
 * `count[p]` elements from `first[p]`, with the lengths at `weights[offset[p]…]`.
 */
function overlaps(pixels: number, scale: number, offset: number, n: number) {
  const first = new Int32Array(pixels);
  const count = new Int32Array(pixels);
  const offsets = new Int32Array(pixels);
  const weights: number[] = [];
  for (let p = 0; p < pixels; p++) {
    const a = offset + p * scale;
    const b = a + scale;
    const from = Math.max(0, Math.floor(a));
    const to = Math.min(n, Math.ceil(b));
    offsets[p] = weights.length;
    first[p] = from;
    for (let e = from; e < to; e++) weights.push(Math.min(b, e + 1) - Math.max(a, e));
    count[p] = Math.max(0, to - from);
  }
  return { first, count, offset: offsets, weights: Float64Array.from(weights) };
}

/**
 * The mean over a `size × size` square (in elements, fractional: the end elements count in part)
 * centred on each element, one axis then the other; beyond the sides, the side's own values.
 */
function boxAverage(values: Float64Array, columns: number, rows: number, size: number): Float64Array {
  if (size <= 1) return values;
  const reach = Math.ceil(size / 2 - 0.5);
  const kernel = new Float64Array(2 * reach + 1);
  for (let k = -reach; k <= reach; k++) kernel[k + reach] = (Math.min(k + 0.5, size / 2) - Math.max(k - 0.5, -size / 2)) / size;
  const pass = (from: Float64Array, length: number, lines: number, at: (line: number, e: number) => number): Float64Array => {
    const to = new Float64Array(from.length);
    for (let line = 0; line < lines; line++)
      for (let e = 0; e < length; e++) {
        let sum = 0;
        for (let k = -reach; k <= reach; k++) sum += kernel[k + reach]! * from[at(line, Math.min(length - 1, Math.max(0, e + k)))]!;
        to[at(line, e)] = sum;
      }
    return to;
  };
  const horizontal = pass(values, columns, rows, (j, i) => j * columns + i);
  return pass(horizontal, rows, columns, (i, j) => j * columns + i);
}
