import type { OptionOf, PointValue } from "../syntax/ast.js";
import type { Reporter } from "../diagnostics/reporter.js";
import type { Span } from "../diagnostics/span.js";
import { SHAPE_KINDS, type PlanPoint, type PlanShape } from "../plan/plan.js";
import type { RegionSpec, Size } from "./geometry.js";
import { suggestionHelp } from "./suggest.js";
import { numberIn } from "./values.js";

/**
 * A shape's soft edge when the scene gives none: 16 pixels, two latent elements, so the outline
 * blends into what is under it over about as many latent elements as a UNet needs to make a seam
 * disappear, yet an ellipse the size of a few latent elements keeps its form.
 */
export const DEFAULT_FEATHER = 16;
/** A feather wider than any canvas side means nothing more. */
export const FEATHER_RANGE = { min: 0, max: 16384 };
/** Corners of one polygon: the crossing check compares every pair of edges. */
export const MAX_POLYGON_POINTS = 1024;

/** A shape as the checker keeps it until the region's rectangle is known: the points' spans, for S2029. */
export interface ShapeSpec {
  shape: PlanShape;
  points: readonly PointValue[];
}

/** `shape NAME [(X, Y)…] [feather N] [invert]`, checked on its own (S2028, S2010, S2030). */
export function readShape(reporter: Reporter, option: OptionOf<"shape">): ShapeSpec | undefined {
  const name = option.value.name;
  const feather = option.feather ? numberIn(reporter, option.feather, "feather", FEATHER_RANGE) : DEFAULT_FEATHER;
  const invert = option.invert !== undefined;
  if (!(SHAPE_KINDS as readonly string[]).includes(name)) {
    reporter.report("S2028", option.value.span, { name, help: suggestionHelp(name, SHAPE_KINDS) });
    return undefined;
  }
  const { points } = option;
  if (name === "ellipse") {
    if (points.length > 0) reporter.report("S2030", { ...points[0]!.span, end: points[points.length - 1]!.span.end }, { variant: "points", name });
    return feather === undefined || points.length > 0 ? undefined : { shape: { kind: "ellipse", feather, invert }, points };
  }
  if (points.length < 3) {
    reporter.report("S2030", option.value.span, { variant: "few", count: points.length });
    return undefined;
  }
  if (points.length > MAX_POLYGON_POINTS) {
    reporter.report("S2030", points[MAX_POLYGON_POINTS]!.span, { variant: "many", count: points.length, max: MAX_POLYGON_POINTS });
    return undefined;
  }
  const corners = points.map((p) => ({ x: p.x.value, y: p.y.value }));
  const crossing = crossingEdges(corners);
  if (crossing) {
    const edge = (k: number): Span => ({ ...points[k]!.span, end: points[(k + 1) % points.length]!.span.end });
    // An edge that closes the polygon runs backwards in the text: point at its start alone.
    const at = (k: number): Span => (k + 1 < points.length ? edge(k) : points[k]!.span);
    reporter.report("S2030", at(crossing[1]), { variant: "crossing", related: [{ span: at(crossing[0]) }] });
    return undefined;
  }
  if (feather === undefined) return undefined;
  return { shape: { kind: "polygon", points: corners, feather, invert }, points };
}

/** The first two edges of the closed polygon that cross or touch, other than neighbours at their shared corner; edge k runs from corner k to corner k + 1. */
function crossingEdges(p: readonly PlanPoint[]): [number, number] | undefined {
  const n = p.length;
  for (let j = 1; j < n; j++)
    for (let i = 0; i < j; i++) {
      const [a, b, c, d] = [p[i]!, p[(i + 1) % n]!, p[j]!, p[(j + 1) % n]!];
      const neighbours = j === i + 1 || (i === 0 && j === n - 1);
      if (neighbours ? foldBack(a, b, c, d, j === i + 1) : segmentsMeet(a, b, c, d)) return [i, j];
    }
  return undefined;
}

function cross(o: PlanPoint, a: PlanPoint, b: PlanPoint): number {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

function onSegment(a: PlanPoint, b: PlanPoint, q: PlanPoint): boolean {
  return Math.min(a.x, b.x) <= q.x && q.x <= Math.max(a.x, b.x) && Math.min(a.y, b.y) <= q.y && q.y <= Math.max(a.y, b.y);
}

function segmentsMeet(a: PlanPoint, b: PlanPoint, c: PlanPoint, d: PlanPoint): boolean {
  const d1 = cross(c, d, a);
  const d2 = cross(c, d, b);
  const d3 = cross(a, b, c);
  const d4 = cross(a, b, d);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  return (d1 === 0 && onSegment(c, d, a)) || (d2 === 0 && onSegment(c, d, b)) || (d3 === 0 && onSegment(a, b, c)) || (d4 === 0 && onSegment(a, b, d));
}

/** Neighbouring edges that run back over each other (a spike of no width), or a repeated corner. */
function foldBack(a: PlanPoint, b: PlanPoint, c: PlanPoint, d: PlanPoint, bIsShared: boolean): boolean {
  // Neighbours share one corner: b = c (edge i then edge i + 1), or d = a (the last edge, then the first).
  const [shared, before, after] = bIsShared ? [b, a, d] : [a, c, b];
  if ((shared.x === before.x && shared.y === before.y) || (shared.x === after.x && shared.y === after.y)) return true;
  if (cross(shared, before, after) !== 0) return false;
  // Collinear: a fold when both other ends lie on the same side of the shared corner.
  return (before.x - shared.x) * (after.x - shared.x) + (before.y - shared.y) * (after.y - shared.y) > 0;
}

/** S2029 for a polygon corner outside its region's rectangle (corners are pixels from its top-left corner, 0 to its size). */
export function checkShapesInside(reporter: Reporter, regions: readonly RegionSpec[]): void {
  for (const r of regions) checkShapeInside(reporter, r, r.name);
}

/** S2029 for the first corner of `outlined`'s polygon (if it has one) outside its rectangle; `name` names it in the message. */
export function checkShapeInside(reporter: Reporter, outlined: { shape?: PlanShape | undefined; shapePoints?: readonly PointValue[] | undefined; rect: Size }, name: string): void {
  if (!outlined.shapePoints || outlined.shape?.kind !== "polygon") return;
  const { width, height } = outlined.rect;
  const p = outlined.shapePoints.find((q) => q.x.value < 0 || q.y.value < 0 || q.x.value > width || q.y.value > height);
  if (p) reporter.report("S2029", p.span, { point: { x: p.x.value, y: p.y.value }, name, size: { width, height } });
}
