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
  const inside = insideDistance(shape, width, height);
  const mask = new Float32Array(columns * rows);
  const area = factor * factor;
  // A polygon's distance is exact, so an element whose centre lies farther from the outline
  // than half its diagonal plus half the feather is wholly in or out: its pixels need no visit.
  const reach = shape.kind === "polygon" ? (factor * Math.SQRT2) / 2 + shape.feather / 2 : Infinity;
  for (let j = 0; j < rows; j++)
    for (let i = 0; i < columns; i++) {
      const centre = reach === Infinity ? 0 : inside((i + 0.5) * factor, (j + 0.5) * factor);
      if (Math.abs(centre) > reach) {
        const m = centre > 0 ? 1 : 0;
        mask[j * columns + i] = shape.invert ? 1 - m : m;
        continue;
      }
      let sum = 0;
      for (let y = j * factor; y < (j + 1) * factor; y++)
        for (let x = i * factor; x < (i + 1) * factor; x++) sum += ramp(inside(x + 0.5, y + 0.5), shape.feather);
      const m = sum / area;
      mask[j * columns + i] = shape.invert ? 1 - m : m;
    }
  return mask;
}

/** Membership at `d` pixels inside the outline (negative: outside). */
function ramp(d: number, feather: number): number {
  if (feather === 0) return d > 0 ? 1 : 0;
  return Math.min(1, Math.max(0, 0.5 + d / feather));
}

/** How far inside the shape's outline a point of the rectangle is, in pixels (negative outside). */
function insideDistance(shape: PlanShape, width: number, height: number): (x: number, y: number) => number {
  switch (shape.kind) {
    case "ellipse":
      return ellipseDistance(width / 2, height / 2);
    case "polygon":
      return polygonDistance(shape.points, width, height);
  }
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
      if (outline[j]) nearest = Math.min(nearest, segmentDistance(x, y, a, b));
    }
    return inside ? nearest : -nearest;
  };
}

function segmentDistance(x: number, y: number, a: PlanPoint, b: PlanPoint): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - a.x) * dx + (y - a.y) * dy) / length2));
  return Math.hypot(x - a.x - t * dx, y - a.y - t * dy);
}

/**
 * The ellipse inscribed in a `2a × 2b` rectangle. Its implicit function q = √((u/a)² + (v/b)²)
 * divided by its gradient's length gives the distance to the outline to first order: exact on a
 * circle, and within a fraction of a pixel across any feather band of a reasonable ellipse.
 */
function ellipseDistance(a: number, b: number): (x: number, y: number) => number {
  return (x, y) => {
    const u = x - a;
    const v = y - b;
    const q = Math.hypot(u / a, v / b);
    const g = Math.hypot(u / (a * a), v / (b * b));
    // At the centre q/g tends to the distance along the nearer axis.
    return g === 0 ? Math.min(a, b) : ((1 - q) * q) / g;
  };
}
