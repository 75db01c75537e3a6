import { LATENT_FACTOR } from "../../compiler/check/values.js";
import { tiles1D, type Tile1D } from "../tiles.js";
import { stagedTileBytes, wholeDecodeBytes, type DecoderProfile } from "./decoder-cost.js";
import { spans, tileGrid, type GridTile } from "./tile-grid.js";

/**
 * How a canvas is decoded within a memory budget: whole when the decoder's estimated peak fits,
 * else in the tiles that cost the least work among those that fit (fewer, bigger tiles pay less
 * padding or overlap).
 */
export type DecodeLayout =
  | { kind: "whole" }
  | { kind: "staged"; grid: GridTile[]; cols: number; rows: number; padding: number }
  /** Cross-faded tiles in pixels (whole latent elements). */
  | { kind: "crossfaded"; cols: Tile1D[]; rows: Tile1D[] };

export interface LayoutRequest {
  /** The canvas in latent elements. */
  width: number;
  height: number;
  profile: DecoderProfile;
  /** Bytes the decode may use. */
  memory: number;
  /** Staged tiles grown by this padding (latent elements); absent: the decoder cannot be staged, its tiles are cross-faded. */
  padding?: number;
  /** Overlap of cross-faded tiles, in latent elements. */
  overlap: number;
  /** Forces tiles of at most this many latent elements a side, whatever the budget (Infinity: whole). */
  tile?: number;
}

/** Staged cores are at least this many latent elements a side, whatever the budget: smaller ones would be mostly padding. */
const MIN_STAGED_CORE = 16;

export function decodeLayout(request: LayoutRequest): DecodeLayout {
  const { width, height, profile, memory, padding, overlap, tile } = request;
  if (tile !== undefined ? width <= tile && height <= tile : wholeDecodeBytes(profile, width * height) <= memory) return { kind: "whole" };
  if (padding !== undefined) {
    const [cols, rows] =
      tile !== undefined
        ? [Math.ceil(width / tile), Math.ceil(height / tile)]
        : cheapestGrid(
            Math.min(width, Math.ceil(width / MIN_STAGED_CORE)),
            Math.min(height, Math.ceil(height / MIN_STAGED_CORE)),
            (n, m) => stagedTileBytes(profile, (reach) => grownSide(width, n, Math.min(padding, reach)) * grownSide(height, m, Math.min(padding, reach))) <= memory,
            (n, m) => stagedWork(width, height, n, m, padding, profile),
          );
    return { kind: "staged", grid: tileGrid(width, height, cols, rows, padding), cols, rows, padding };
  }
  const [side, maxCols, maxRows] = [(length: number, n: number) => (n === 1 ? length : Math.ceil((length + (n - 1) * overlap) / n)), crossFadedMax(width, overlap), crossFadedMax(height, overlap)];
  const [tw, th] =
    tile !== undefined
      ? [tile, tile]
      : cheapestGrid(
          maxCols,
          maxRows,
          (n, m) => wholeDecodeBytes(profile, side(width, n) * side(height, m)) <= memory,
          (n, m) => (n * side(width, n) * m * side(height, m)) / (width * height),
        ).map((n, axis) => side(axis === 0 ? width : height, n));
  const px = (length: number, t: number) => tiles1D(length * LATENT_FACTOR, Math.min(length, t) * LATENT_FACTOR, overlap * LATENT_FACTOR, LATENT_FACTOR);
  return { kind: "crossfaded", cols: px(width, tw!), rows: px(height, th!) };
}

/**
 * The work of a layout: the decoder's work over every tile (padding and overlap included)
 * divided by its work over the canvas once. Cross-faded tiles each run the whole decoder: their
 * summed area over the canvas's. A staged tile runs each convolution on its core grown by what
 * that convolution still needs (its reach, at most the padding): the latent-resolution layers
 * pay the full padding, the full-resolution ones (most of the work) a latent element or so; the
 * areas are weighted by each convolution's multiply-adds.
 */
export function decodeWork(layout: DecodeLayout, width: number, height: number, profile: DecoderProfile): number {
  if (layout.kind === "whole") return 1;
  if (layout.kind === "staged") return stagedWork(width, height, layout.cols, layout.rows, layout.padding, profile);
  const sum = (tiles: Tile1D[]) => tiles.reduce((s, t) => s + t.size, 0);
  return (sum(layout.cols) * sum(layout.rows)) / (width * height * LATENT_FACTOR ** 2);
}

function stagedWork(width: number, height: number, cols: number, rows: number, padding: number, profile: DecoderProfile): number {
  // Without convolutions to weigh (a profile that lists none), the padded tiles' area.
  const convs = profile.convs.length > 0 ? profile.convs : [{ cost: 1, reach: padding }];
  const total = convs.reduce((s, c) => s + c.cost, 0);
  const work = convs.reduce((s, c) => s + c.cost * grownSum(width, cols, Math.min(padding, c.reach)) * grownSum(height, rows, Math.min(padding, c.reach)), 0);
  return work / (total * width * height);
}

/** The summed length of n near-equal cores of a length, each grown by `margin` inside it. */
function grownSum(length: number, n: number, margin: number): number {
  return spans(length, n).reduce((s, [a, b]) => s + Math.min(length, b + margin) - Math.max(0, a - margin), 0);
}

/** The longest of n near-equal cores grown by `margin` on the sides that are not the edge. */
function grownSide(length: number, n: number, margin: number): number {
  return Math.min(length, Math.ceil(length / n) + (n === 1 ? 0 : n === 2 ? margin : 2 * margin));
}

/** Cross-faded tiles along a length: at most as many as keep each tile at least twice the overlap (so it is not all cross-fade). */
function crossFadedMax(length: number, overlap: number): number {
  let n = 1;
  while (Math.ceil((length + n * overlap) / (n + 1)) >= 2 * overlap && n + 1 <= length) n++;
  return n;
}

/**
 * The grid (columns, rows) of least work among those whose tiles fit: for each column count the
 * fewest rows that fit (more rows only add work). Equal work: fewer tiles. None fits: the
 * smallest tiles allowed, the closest to the budget there is.
 */
function cheapestGrid(maxCols: number, maxRows: number, fits: (cols: number, rows: number) => boolean, work: (cols: number, rows: number) => number): [number, number] {
  let best: { cols: number; rows: number; work: number } | undefined;
  for (let cols = 1; cols <= maxCols; cols++) {
    let rows = 1;
    while (rows <= maxRows && !fits(cols, rows)) rows++;
    if (rows > maxRows) continue;
    const w = work(cols, rows);
    if (!best || w < best.work - 1e-12 || (Math.abs(w - best.work) <= 1e-12 && cols * rows < best.cols * best.rows)) best = { cols, rows, work: w };
  }
  return best ? [best.cols, best.rows] : [maxCols, maxRows];
}
