import { Coverage } from "./coverage.js";
import { dominatedRegions, DOMINANCE_SHARE } from "./dominance.js";
import { boundingCanvas, insideCanvas, type RegionSpec, type Size } from "./geometry.js";
import type { GuideSpec } from "./guides.js";
import type { Limits } from "../host.js";
import { toLatent } from "../plan/planner.js";
import type { Reporter } from "../diagnostics/reporter.js";
import type { Span } from "../diagnostics/span.js";
import { LATENT_FACTOR } from "./values.js";
import { weightMaps, type WeightMap } from "../plan/weight-map.js";
import type { MaskImage } from "../plan/image-mask.js";
import { memberships } from "../plan/outline-membership.js";

/**
 * The checks of the whole canvas, once every region and guide is placed: the canvas within the
 * limits, everything inside it, every pixel painted (S2003, S2013), and no region drowned out.
 */

const MAX_UNCOVERED_LISTED = 4;

export function checkCanvasLimits(reporter: Reporter, canvas: Size, span: Span, explicit: boolean, limits: Limits): boolean {
  const side = Math.max(canvas.width, canvas.height);
  const pixels = canvas.width * canvas.height;
  if (side <= limits.maxCanvasSide && pixels <= limits.maxCanvasPixels) return true;
  reporter.report("S2014", span, { explicit, canvas, maxSide: limits.maxCanvasSide, maxPixels: limits.maxCanvasPixels });
  return false;
}

export function checkInsideCanvas(reporter: Reporter, regions: readonly RegionSpec[], guides: readonly GuideSpec[], canvas: Size): void {
  const reportedGrids = new Set<string>();
  for (const r of regions) {
    if (insideCanvas(r.rect, canvas)) continue;
    if (r.grid !== undefined) {
      if (reportedGrids.has(r.grid)) continue;
      reportedGrids.add(r.grid);
      const cells = regions.filter((x) => x.grid === r.grid);
      const extent = boundingCanvas(cells.map((c) => c.rect));
      const outside = cells.filter((c) => !insideCanvas(c.rect, canvas)).length;
      reporter.report("S2002", r.span, { variant: "grid", grid: r.grid, extent, canvas, outside, first: r.name });
      continue;
    }
    reporter.report("S2002", r.span, { variant: "region", name: r.name, rect: r.rect, canvas });
  }
  for (const g of guides) {
    if (insideCanvas(g.rect, canvas)) continue;
    reporter.report("S2002", g.span, { variant: "guide", rect: g.rect, canvas });
  }
}

/** The regions' weight maps, as the runtime will mix them (`maps[i]` is `regions[i]`'s); a mask the host did not decode counts as its whole rectangle. */
export function regionWeightMaps(regions: readonly RegionSpec[]): WeightMap[] {
  const images = new Map<string, MaskImage>();
  for (const r of regions) if (r.maskFile?.image) images.set(r.maskFile.sha256, r.maskFile.image);
  return weightMaps(
    regions.map((r) => {
      const latent = toLatent(r.rect);
      const shifted = r.shifted && { columns: r.shifted.columns, rows: r.shifted.rows, latentTile: { width: latent.width / r.shifted.columns, height: latent.height / r.shifted.rows } };
      const mask = r.maskFile && { sha256: r.maskFile.sha256, fit: r.maskFile.fit, feather: r.maskFile.feather, invert: r.maskFile.invert };
      return { rect: r.rect, latent, blend: r.blend, weight: r.weight, ...(r.shape && { shape: r.shape }), ...(mask && { mask }), ...(shifted && { shifted }) };
    }),
    images,
  );
}

/** The guides' memberships in their shapes or masks (`memberships[i]` is `guides[i]`'s; undefined: all of its rectangle, or a mask the host did not decode). */
export function guideMemberships(guides: readonly GuideSpec[]): (Float32Array | undefined)[] {
  const images = new Map<string, MaskImage>();
  for (const g of guides) if (g.maskFile?.image) images.set(g.maskFile.sha256, g.maskFile.image);
  const membership = memberships(images);
  return guides.map((g) => {
    const mask = g.maskFile && { sha256: g.maskFile.sha256, fit: g.maskFile.fit, feather: g.maskFile.feather, invert: g.maskFile.invert };
    return membership({ shape: g.shape, mask }, g.rect, LATENT_FACTOR);
  });
}

/**
 * S2031 for a region or guide whose shape reaches no latent element of its rectangle, S2033 for a
 * mask that does not: the region would paint nothing, the guide pin nothing.
 */
export function checkShapesPaint(reporter: Reporter, regions: readonly RegionSpec[], maps: readonly WeightMap[], guides: readonly GuideSpec[], guideMasks: readonly (Float32Array | undefined)[]): void {
  const outlined = [
    ...regions.map((r, i) => ({ name: r.name, span: r.span, maskFile: r.maskFile, mask: maps[i]!.mask })),
    ...guides.map((g, i) => ({ name: g.name, span: g.span, maskFile: g.maskFile, mask: guideMasks[i] })),
  ];
  for (const { name, span, maskFile, mask } of outlined) {
    if (!mask || mask.some((m) => m > 0)) continue;
    if (!maskFile) reporter.report("S2031", span, { name });
    else if (maskFile.invert) reporter.report("S2033", maskFile.span, { variant: "inverted", name, file: maskFile.written });
    else reporter.report("S2033", maskFile.span, { variant: "empty", name, file: maskFile.written });
  }
}

/** Every latent element painted by a region (S2003), or under a guide that paints it; under a guide that lets regions through, regions (S2013). */
export function checkCoverage(reporter: Reporter, maps: readonly WeightMap[], guides: readonly GuideSpec[], guideMasks: readonly (Float32Array | undefined)[], canvas: Size, canvasSpan: Span): void {
  const width = canvas.width / LATENT_FACTOR;
  const height = canvas.height / LATENT_FACTOR;
  const cover = new Coverage(width, height, maps);

  // A guide of strength < 1 lets the regions paint under it at some steps: they must be there.
  for (const g of guides) {
    if (g.strength >= 1) continue;
    const bare = cover.uncoveredIn(toLatent(g.rect));
    if (bare === 0) continue;
    reporter.report("S2013", g.span, { pixels: bare * LATENT_FACTOR * LATENT_FACTOR });
  }

  // Pixels under any guide are accounted for: pinned by a strength-1 guide, or reported above;
  // under a guide with a shape or mask, only those it pins.
  const guided = new Coverage(
    width,
    height,
    guides.map((g, i) => {
      const mask = guideMasks[i];
      return { latent: toLatent(g.rect), ...(mask && { mask }) };
    }),
  );
  const holes = cover.uncoveredRects((i) => guided.count[i]! > 0);
  if (holes.length === 0) return;
  const px = holes.map((h) => ({ x: h.x * LATENT_FACTOR, y: h.y * LATENT_FACTOR, width: h.width * LATENT_FACTOR, height: h.height * LATENT_FACTOR }));
  reporter.report("S2003", canvasSpan, { listed: px.slice(0, MAX_UNCOVERED_LISTED), more: Math.max(0, px.length - MAX_UNCOVERED_LISTED) });
}

/** S2502 warnings shown one by one; past them, one more S2502 counts the rest (a storm is not a to-do list). */
const MAX_DOMINANCE_WARNINGS = 20;

/** Warning S2502 for each region whose share of the mix is small everywhere it paints. */
export function reportDominatedRegions(reporter: Reporter, regions: readonly RegionSpec[], maps: readonly WeightMap[]): void {
  const dominated = dominatedRegions(regions, maps, MAX_DOMINANCE_WARNINGS);
  for (const { region, share, by } of dominated.slice(0, MAX_DOMINANCE_WARNINGS))
    reporter.report("S2502", region.span, { variant: "region", name: region.name, by: by!.name, share, threshold: DOMINANCE_SHARE });
  const rest = dominated.slice(MAX_DOMINANCE_WARNINGS);
  if (rest.length > 0) reporter.report("S2502", rest[0]!.region.span, { variant: "more", name: rest[0]!.region.name, count: rest.length, threshold: DOMINANCE_SHARE });
}
