import { kernelProfile } from "./blend-kernels.js";
import type { BlendKernel, Rect } from "./plan.js";

/**
 * Shifted windows (SpotDiffusion, arXiv 2407.15507) for grids with `tiling shifted`: at every
 * step the grid's `columns` x `rows` windows sit side by side, never overlapping, on a lattice
 * moved by a seeded offset, so a window edge (a seam) never stays in one place. Windows that
 * pass the grid's right or bottom edge wrap round to its left or top (the paper's roll): every
 * window keeps the declared tile size and every latent element of the grid is in exactly one
 * window, so a step costs one UNet evaluation per element. Language semantics, like the blend
 * kernels: the runtime's denoising and the planner's cost read this one derivation, from plain
 * plan data (the lattice, the plan's seed, the step).
 */

/** What the derivation reads of a shifted grid (a PlanShiftedGrid has these fields). */
export interface WindowLattice {
  /** The grid's area in latent elements: `columns` x `rows` tiles. */
  latent: Rect;
  latentTile: { width: number; height: number };
  columns: number;
  rows: number;
}

/** Part of a window: a rectangle of the latent canvas, and where it lies in the window's tile. */
export interface WindowPiece {
  x: number;
  y: number;
  width: number;
  height: number;
  tileX: number;
  tileY: number;
}

/** One window: one piece, or two or four when it wraps round the grid's edges; together one tile. */
export type ShiftedWindow = readonly WindowPiece[];

// Step k moves the lattice by frac(start + k·α) of a tile along each axis: a Weyl sequence with α
// the golden ratio's fractional part across and the silver ratio's (√2 − 1) down, the numbers
// worst approximated by fractions. What makes a seam is windows' edges meeting in one place on
// many steps; with these α no offset comes back near an earlier one after a few steps (after 2,
// 3, 5 and 8 steps at least 0.24, 0.15, 0.09, 0.06 of a tile away across), so even a short render
// spreads its seams evenly, and consecutive steps never share an offset (for tiles of at least
// three latent elements). (The 2-D R2 sequence spreads points in the plane better but returns
// within 0.02 of a tile along x every 4 steps: its seams pile up.)
const STEP_X = (Math.sqrt(5) - 1) / 2;
const STEP_Y = Math.SQRT2 - 1;

/** A 32-bit integer hash (MurmurHash3's finaliser): nearby seeds give unrelated starting offsets. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The seed's starting point of the sequence, in [0, 1)²; seeds up to 2^53 - 1 are hashed exactly. */
function startingPoint(seed: number): [number, number] {
  const low = seed % 2 ** 32;
  const high = Math.floor(seed / 2 ** 32);
  const a = mix32(mix32(low ^ 0x9e3779b9) ^ high);
  const b = mix32(a ^ 0x7f4a7c15);
  return [a / 2 ** 32, b / 2 ** 32];
}

const fraction = (v: number) => v - Math.floor(v);

/**
 * The lattice's offset at `step`, in latent elements, in [0, tile) along each axis. An axis with a
 * single window is never shifted: it has no seam to move, and rolling it would only wrap the
 * grid's opposite edges into the middle of the window.
 */
export function windowOffset(lattice: WindowLattice, seed: number, step: number): { x: number; y: number } {
  const [sx, sy] = startingPoint(seed);
  const { width: tw, height: th } = lattice.latentTile;
  const along = (start: number, increment: number, tile: number, count: number) =>
    count > 1 ? Math.min(tile - 1, Math.floor(fraction(start + step * increment) * tile)) : 0;
  return { x: along(sx, STEP_X, tw, lattice.columns), y: along(sy, STEP_Y, th, lattice.rows) };
}

/** A window's span along one axis of length `length`, from `start`: one segment, or two when it wraps. */
function segments(start: number, tile: number, length: number): { at: number; from: number; size: number }[] {
  const first = Math.min(tile, length - start);
  return first === tile ? [{ at: start, from: 0, size: tile }] : [{ at: start, from: 0, size: first }, { at: 0, from: first, size: tile - first }];
}

/** The grid's windows at `step`, row-major from the one the offset moved from cell 0, 0. */
export function shiftedWindows(lattice: WindowLattice, seed: number, step: number): ShiftedWindow[] {
  const { latent, latentTile, columns, rows } = lattice;
  const offset = windowOffset(lattice, seed, step);
  const windows: ShiftedWindow[] = [];
  for (let r = 0; r < rows; r++) {
    const down = segments((r * latentTile.height + offset.y) % latent.height, latentTile.height, latent.height);
    for (let c = 0; c < columns; c++) {
      const across = segments((c * latentTile.width + offset.x) % latent.width, latentTile.width, latent.width);
      windows.push(down.flatMap((v) => across.map((h) => ({ x: latent.x + h.at, y: latent.y + v.at, width: h.size, height: v.size, tileX: h.from, tileY: v.from }))));
    }
  }
  return windows;
}

/** Windows evaluated per step: one per tile of the grid's area. */
export function windowsPerStep(lattice: Pick<WindowLattice, "columns" | "rows">): number {
  return lattice.columns * lattice.rows;
}

/**
 * Tiles per step of the same tiles fixed and overlapping by half (the paper's 4K mosaic layout)
 * over the same area, for the cost comparison: 2n - 1 along an axis of n tiles.
 */
export function overlappingTilesPerStep(lattice: Pick<WindowLattice, "columns" | "rows">): number {
  return (2 * lattice.columns - 1) * (2 * lattice.rows - 1);
}

/**
 * The weight profiles a shifted grid mixes with against other regions, over its latent area.
 * Along an axis with several windows the windows pass every element evenly, so the grid's kernel
 * there is the window kernel's mean, a constant: the grid weighs the same everywhere and never
 * draws a seam of its own into the mix. Along an axis with one window, nothing moves and the
 * kernel is the window's own, as for a region.
 */
export function shiftedGridProfiles(blend: BlendKernel, lattice: Pick<WindowLattice, "latentTile" | "columns" | "rows">): { across: Float64Array; down: Float64Array } {
  const profile = (tile: number, count: number) => {
    const kernel = kernelProfile(blend, tile);
    if (count === 1) return kernel;
    const mean = kernel.reduce((sum, v) => sum + v, 0) / tile;
    return new Float64Array(tile * count).fill(mean);
  };
  return { across: profile(lattice.latentTile.width, lattice.columns), down: profile(lattice.latentTile.height, lattice.rows) };
}
