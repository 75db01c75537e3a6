import type { Rect } from "../plan/plan.js";
import type { WeightMap } from "../plan/weight-map.js";

/**
 * Coverage of the latent canvas by paints' footprints, counted per latent element: a whole box
 * (a guide's rectangle, or an unshaped region's weight map) through a 2D difference array, so
 * O(boxes + elements) whatever the overlap; a masked weight map element by element, where its
 * mask reaches. Plus a prefix-sum table of the uncovered elements so any rectangle can be asked
 * "is all of you covered?" in O(1).
 */
export class Coverage {
  readonly count: Int32Array;
  private readonly uncoveredPrefix: Int32Array;

  constructor(
    readonly width: number,
    readonly height: number,
    footprints: Iterable<Pick<WeightMap, "latent" | "mask">>,
  ) {
    const w1 = width + 1;
    const diff = new Int32Array(w1 * (height + 1));
    const masked: Pick<WeightMap, "latent" | "mask">[] = [];
    for (const f of footprints) {
      if (f.mask) {
        masked.push(f);
        continue;
      }
      const r = f.latent;
      const x0 = Math.max(0, r.x);
      const y0 = Math.max(0, r.y);
      const x1 = Math.min(width, r.x + r.width);
      const y1 = Math.min(height, r.y + r.height);
      if (x0 >= x1 || y0 >= y1) continue;
      diff[y0 * w1 + x0]! += 1;
      diff[y0 * w1 + x1]! -= 1;
      diff[y1 * w1 + x0]! -= 1;
      diff[y1 * w1 + x1]! += 1;
    }
    const count = new Int32Array(width * height);
    const row = new Int32Array(width);
    for (let y = 0; y < height; y++) {
      let run = 0;
      for (let x = 0; x < width; x++) {
        run += diff[y * w1 + x]!;
        row[x]! += run;
        count[y * width + x] = row[x]!;
      }
    }
    for (const f of masked) {
      const { x: fx, y: fy, width: fw, height: fh } = f.latent;
      for (let j = 0; j < fh; j++)
        for (let i = 0; i < fw; i++) {
          const x = fx + i;
          const y = fy + j;
          if (x >= 0 && y >= 0 && x < width && y < height && f.mask![j * fw + i]! > 0) count[y * width + x]! += 1;
        }
    }
    const prefix = new Int32Array(w1 * (height + 1));
    for (let y = 0; y < height; y++) {
      let uncoveredRun = 0;
      for (let x = 0; x < width; x++) {
        if (count[y * width + x] === 0) uncoveredRun++;
        prefix[(y + 1) * w1 + x + 1] = prefix[y * w1 + x + 1]! + uncoveredRun;
      }
    }
    this.count = count;
    this.uncoveredPrefix = prefix;
  }

  /** How many elements of `r` (clipped to the canvas) no rectangle covers. */
  uncoveredIn(r: Rect): number {
    const w1 = this.width + 1;
    const x0 = Math.max(0, r.x);
    const y0 = Math.max(0, r.y);
    const x1 = Math.min(this.width, r.x + r.width);
    const y1 = Math.min(this.height, r.y + r.height);
    if (x0 >= x1 || y0 >= y1) return 0;
    const p = this.uncoveredPrefix;
    return p[y1 * w1 + x1]! - p[y0 * w1 + x1]! - p[y1 * w1 + x0]! + p[y0 * w1 + x0]!;
  }

  /**
   * The uncovered elements (those `alsoCovered` does not claim either) as disjoint rectangles,
   * greedily grown right then down, in reading order.
   */
  uncoveredRects(alsoCovered?: (index: number) => boolean): Rect[] {
    const { width, height, count } = this;
    const taken = new Uint8Array(width * height);
    const free = (i: number) => count[i] === 0 && !taken[i] && !(alsoCovered?.(i) ?? false);
    const rects: Rect[] = [];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (!free(y * width + x)) continue;
        let w = 1;
        while (x + w < width && free(y * width + x + w)) w++;
        let h = 1;
        grow: while (y + h < height) {
          for (let k = 0; k < w; k++) if (!free((y + h) * width + x + k)) break grow;
          h++;
        }
        for (let yy = y; yy < y + h; yy++) taken.fill(1, yy * width + x, yy * width + x + w);
        rects.push({ x, y, width: w, height: h });
      }
    }
    return rects;
  }
}
