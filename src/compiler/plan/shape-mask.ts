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
  const { inside, bound, near } = outline(shape, width, height);
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
      // Every pixel's nearest edge lies within |b| + the element's diagonal of its centre.
      const at = near ? near((i + 0.5) * factor, (j + 0.5) * factor, Math.abs(b) + factor * Math.SQRT2) : inside;
      let sum = 0;
      for (let y = j * factor; y < (j + 1) * factor; y++)
        for (let x = i * factor; x < (i + 1) * factor; x++) sum += ramp(at(x + 0.5, y + 0.5), shape.feather);
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

type Distance = (x: number, y: number) => number;

/**
 * How far inside the shape's outline a point of the rectangle is, in pixels (negative outside):
 * `inside` for each pixel's membership, and `bound`, of the same sign and never farther from 0
 * than `inside` nor than the true distance, changing by at most 1 per pixel moved, for skipping
 * whole elements (shapeMask) without changing any. `near`, where given, is `inside` for the
 * points whose nearest edge lies within `radius` of (cx, cy): the same values, sooner.
 */
interface Outline {
  inside: Distance;
  bound: Distance;
  near?: (cx: number, cy: number, radius: number) => Distance;
}

function outline(shape: PlanShape, width: number, height: number): Outline {
  switch (shape.kind) {
    case "ellipse":
      return ellipseDistance(width / 2, height / 2);
    case "polygon":
      return polygonDistance(shape.points, width, height);
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
function ellipseDistance(a: number, b: number): Outline {
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
function polygonDistance(points: readonly PlanPoint[], width: number, height: number): Outline {
  const onSide = (a: PlanPoint, b: PlanPoint) => (a.x === b.x && (a.x === 0 || a.x === width)) || (a.y === b.y && (a.y === 0 || a.y === height));
  // Edge k runs from corner k to corner k + 1; the outline is the edges off the rectangle's sides.
  const edges = points.map((a, k) => ({ a, b: points[(k + 1) % points.length]! }));
  const outlineEdges = edges.filter(({ a, b }) => !onSide(a, b));
  /** Even-odd over every edge, the nearest of `candidates` for the distance. */
  const distance = (candidates: readonly { a: PlanPoint; b: PlanPoint }[]): Distance => (x, y) => {
    let inside = false;
    for (const { a, b } of edges) if (a.y > y !== b.y > y && x < a.x + ((y - a.y) * (b.x - a.x)) / (b.y - a.y)) inside = !inside;
    let nearest = Infinity;
    for (const { a, b } of candidates) nearest = Math.min(nearest, segmentDistance2(x, y, a, b));
    return inside ? Math.sqrt(nearest) : -Math.sqrt(nearest);
  };
  const exact = distance(outlineEdges);
  return {
    inside: exact,
    bound: exact,
    near: (cx, cy, radius) => distance(outlineEdges.filter(({ a, b }) => segmentDistance2(cx, cy, a, b) <= radius * radius)),
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
