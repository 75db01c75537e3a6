import type { Rect } from "../plan/plan.js";
import type { Span } from "../diagnostics/span.js";
import type { Paint } from "./paint.js";
import type { MaskSpec } from "./masks.js";

/** A region as the checker and planner see it: where it paints, in pixels, and with what. */
export interface RegionSpec extends Paint {
  name: string;
  /** Where messages about this region point: its name, or its grid's name. */
  span: Span;
  rect: Rect;
  /** For grid cells, the grid they came from (outside-canvas errors are reported once per grid). */
  grid?: string;
  /** Its `mask`'s file once read (masks.ts elaborateMasks). */
  maskFile?: MaskSpec;
  /** A grid with `tiling shifted`: `rect` is its whole area, covered by `columns` x `rows` moving windows of `tile`. */
  shifted?: { tile: Size; columns: number; rows: number; tiling: Span };
}

export interface Size {
  width: number;
  height: number;
}

export function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** True when `r` is a non-empty rectangle that lies wholly on the canvas. */
export function insideCanvas(r: Rect, canvas: Size): boolean {
  return r.width > 0 && r.height > 0 && r.x >= 0 && r.y >= 0 && r.x + r.width <= canvas.width && r.y + r.height <= canvas.height;
}

/** Bounding box of rectangles from the origin (the canvas of a scene that names none). */
export function boundingCanvas(rects: Iterable<Rect>): Size {
  let width = 0;
  let height = 0;
  for (const r of rects) {
    width = Math.max(width, r.x + r.width);
    height = Math.max(height, r.y + r.height);
  }
  return { width, height };
}
