import type { PlanPoint, PlanShape } from "./plan.js";

/**
 * A region's membership in its shape, per latent element of its rectangle: the mean over the
 * element's `factor × factor` pixels of each pixel's membership, so an outline that crosses an
 * element leaves it fractional rather than stair-stepped. A pixel's membership ramps linearly
 * across `feather` pixels centred on the outline (1 inside, 0 outside; a step at feather 0).
 * `width` and `height` are the rectangle's size in pixels, multiples of `factor`.
 */
export function shapeMask(shape: PlanShape, width: number, height: number, factor: number): Float32Array {
  const columns = width / factor;
  const rows = height / factor;
  const { inside, bound } = outline(shape, width, height);
  const mask = new Float32Array(columns * rows);
  const area = factor * factor;
  const fill = (at: number, m: number) => (mask[at] = shape.invert ? 1 - m : m);
  // An element whose centre is farther from the outline than half its diagonal plus half the
  // feather is wholly in or out; `bound` changes by at most one pixel per pixel, so so are the
  // next elements of its row within that distance. Only elements along the outline are visited
  // pixel by pixel: a 4096-pixel square costs its perimeter, not its area.
  const reach = (factor * Math.SQRT2) / 2 + shape.feather / 2;
  for (let j = 0; j < rows; j++)
    for (let i = 0; i < columns; ) {
      const b = bound((i + 0.5) * factor, (j + 0.5) * factor);
      if (Math.abs(b) > reach) {
        for (let t = 0; i < columns && t * factor < Math.abs(b) - reach; t++, i++) fill(j * columns + i, b > 0 ? 1 : 0);
        continue;
      }
      let sum = 0;
      for (let y = j * factor; y < (j + 1) * factor; y++)
        for (let x = i * factor; x < (i + 1) * factor; x++) sum += ramp(inside(x + 0.5, y + 0.5), shape.feather);
      fill(j * columns + i, sum / area);
      i++;
    }
  return mask;
}

/** Membership at `d` pixels inside the outline (negative: outside). */
function ramp(d: number, feather: number): number {
  if (feather === 0) return d > 0 ? 1 : 0;
  return Math.min(1, Math.max(0, 0.5 + d / feather));
}

/**
 * How far inside the shape's outline a point of the rectangle is, in pixels (negative outside):
 * `inside` for each pixel's membership, and `bound`, of the same sign and never farther from 0
 * than `inside` nor than the true distance, changing by at most 1 per pixel moved, for skipping
 * whole elements (shapeMask) without changing any.
 */
function outline(shape: PlanShape, width: number, height: number): { inside: (x: number, y: number) => number; bound: (x: number, y: number) => number } {
  switch (shape.kind) {
    case "ellipse":
      return ellipseDistance(width / 2, height / 2);
    case "polygon": {
      const exact = polygonDistance(shape.points, width, height);
      return { inside: exact, bound: exact };
    }
  }
}

/**
 * The ellipse inscribed in a `2a × 2b` rectangle: `inside` is the distance to its nearest point,
 * found by three rounds of the evolute iteration (0xfaded's "simple method for distance to
 * ellipse"), exact to a small fraction of a pixel however elongated the ellipse; a first-order
 * estimate from the implicit function is not (it reads 64 px where the outline is 14 px away,
 * halfway along a 256 x 32 ellipse). The ellipse scaled by q = √((u/a)² + (v/b)²) lies
 * |1 - q|·min(a, b) or more from it: the bound.
 */
function ellipseDistance(a: number, b: number): { inside: (x: number, y: number) => number; bound: (x: number, y: number) => number } {
  // Products and square roots, not `**` or Math.hypot: this runs per pixel along every outline.
  const q = (x: number, y: number) => {
    const u = (x - a) / a;
    const v = (y - b) / b;
    return Math.sqrt(u * u + v * v);
  };
  const bound = (x: number, y: number) => (1 - q(x, y)) * Math.min(a, b);
  // A circle's distance is its radius less the point's.
  if (a === b) return { inside: (x, y) => a - Math.sqrt((x - a) * (x - a) + (y - b) * (y - b)), bound };
  const c = a * a - b * b;
  return {
    inside: (x, y) => {
      const px = Math.abs(x - a);
      const py = Math.abs(y - b);
      let tx = Math.SQRT1_2;
      let ty = Math.SQRT1_2;
      for (let k = 0; k < 3; k++) {
        const ex = (c * tx * tx * tx) / a;
        const ey = (-c * ty * ty * ty) / b;
        const rx = a * tx - ex;
        const ry = b * ty - ey;
        const qx = px - ex;
        const qy = py - ey;
        const r = Math.sqrt(rx * rx + ry * ry);
        const d = Math.sqrt(qx * qx + qy * qy);
        if (d === 0) break;
        tx = Math.min(1, Math.max(0, ((qx * r) / d + ex) / a));
        ty = Math.min(1, Math.max(0, ((qy * r) / d + ey) / b));
        const t = Math.sqrt(tx * tx + ty * ty);
        tx /= t;
        ty /= t;
      }
      const dx = px - a * tx;
      const dy = py - b * ty;
      const distance = Math.sqrt(dx * dx + dy * dy);
      return q(x, y) <= 1 ? distance : -distance;
    },
    bound,
  };
}

/**
 * The distance to the nearest edge, positive inside (the even-odd rule; the checker allows only
 * simple polygons). Edges along the rectangle's own sides are no outline: the region stops there
 * anyway, so they are not feathered (an L drawn to the box's sides stays whole up to them).
 */
function polygonDistance(points: readonly PlanPoint[], width: number, height: number): (x: number, y: number) => number {
  const onSide = (a: PlanPoint, b: PlanPoint) => (a.x === b.x && (a.x === 0 || a.x === width)) || (a.y === b.y && (a.y === 0 || a.y === height));
  const outline = points.map((a, k) => !onSide(a, points[(k + 1) % points.length]!));
  return (x, y) => {
    let inside = false;
    let nearest = Infinity;
    for (let k = 0, j = points.length - 1; k < points.length; j = k++) {
      const a = points[j]!;
      const b = points[k]!;
      if (a.y > y !== b.y > y && x < a.x + ((y - a.y) * (b.x - a.x)) / (b.y - a.y)) inside = !inside;
      if (outline[j]) nearest = Math.min(nearest, segmentDistance2(x, y, a, b));
    }
    return inside ? Math.sqrt(nearest) : -Math.sqrt(nearest);
  };
}

/** The squared distance from (x, y) to segment ab (squared: one square root per point, not per edge). */
function segmentDistance2(x: number, y: number, a: PlanPoint, b: PlanPoint): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - a.x) * dx + (y - a.y) * dy) / length2));
  const ex = x - a.x - t * dx;
  const ey = y - a.y - t * dy;
  return ex * ex + ey * ey;
}
