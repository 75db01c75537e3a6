import { describe, expect, it } from "vitest";
import { kernelProfile } from "../src/compiler/plan/blend-kernels.js";
import { overlappingTilesPerStep, shiftedGridProfiles, shiftedWindows, windowOffset, windowsPerStep, type WindowLattice } from "../src/compiler/plan/shifted-windows.js";

/**
 * The derivation of each step's shifted windows (src/compiler/plan/shifted-windows.ts): the
 * runtime paints with it and the planner counts with it, so it must be a pure function of the
 * plan's data, cover the grid exactly once with tiles of the declared size, and move every step.
 */

/** 4 x 3 windows of 20 x 14 latent elements, the grid's area starting at (5, 3) on the canvas. */
const LATTICE: WindowLattice = { latent: { x: 5, y: 3, width: 80, height: 42 }, latentTile: { width: 20, height: 14 }, columns: 4, rows: 3 };

/** How many windows cover each element of a canvas of `width` x `height`, and how many pieces cover each element of each window's tile. */
function coverage(lattice: WindowLattice, seed: number, step: number, width: number, height: number) {
  const canvas = new Uint8Array(width * height);
  const tiles: Uint8Array[] = [];
  for (const window of shiftedWindows(lattice, seed, step)) {
    const tile = new Uint8Array(lattice.latentTile.width * lattice.latentTile.height);
    for (const p of window)
      for (let j = 0; j < p.height; j++)
        for (let i = 0; i < p.width; i++) {
          canvas[(p.y + j) * width + p.x + i]! += 1;
          tile[(p.tileY + j) * lattice.latentTile.width + p.tileX + i]! += 1;
        }
    tiles.push(tile);
  }
  return { canvas, tiles };
}

describe("shifted windows", () => {
  it("cover every latent element of the grid exactly once a step, and nothing outside it", () => {
    const width = 90;
    const height = 50;
    for (let step = 0; step < 40; step++) {
      const { canvas } = coverage(LATTICE, 7, step, width, height);
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          const inside = x >= 5 && x < 85 && y >= 3 && y < 45;
          if (canvas[y * width + x] !== (inside ? 1 : 0)) expect.fail(`step ${step}: element (${x}, ${y}) is in ${canvas[y * width + x]} windows`);
        }
    }
  });

  it("are each one whole tile of the declared size, in one, two or four pieces (wrapped round the grid's edges)", () => {
    const pieceCounts = new Set<number>();
    for (let step = 0; step < 40; step++) {
      const windows = shiftedWindows(LATTICE, 7, step);
      expect(windows).toHaveLength(windowsPerStep(LATTICE));
      for (const w of windows) pieceCounts.add(w.length);
      for (const tile of coverage(LATTICE, 7, step, 90, 50).tiles) expect(tile.every((n) => n === 1)).toBe(true);
    }
    expect([...pieceCounts].sort()).toEqual([1, 2, 4]);
  });

  it("move by an offset within a tile that depends only on the seed and the step", () => {
    for (let step = 0; step < 100; step++) {
      const offset = windowOffset(LATTICE, 7, step);
      expect(offset.x).toBeGreaterThanOrEqual(0);
      expect(offset.x).toBeLessThan(20);
      expect(offset.y).toBeGreaterThanOrEqual(0);
      expect(offset.y).toBeLessThan(14);
      expect(windowOffset({ ...LATTICE }, 7, step)).toEqual(offset);
      expect(shiftedWindows(LATTICE, 7, step)).toEqual(shiftedWindows(LATTICE, 7, step));
    }
  });

  it("never keep the previous step's offset along either axis", () => {
    for (const seed of [0, 1, 7178915308, Number.MAX_SAFE_INTEGER])
      for (let step = 1; step < 200; step++) {
        const before = windowOffset(LATTICE, seed, step - 1);
        const now = windowOffset(LATTICE, seed, step);
        expect(now.x, `seed ${seed}, step ${step}`).not.toBe(before.x);
        expect(now.y, `seed ${seed}, step ${step}`).not.toBe(before.y);
      }
  });

  it("spread a short render's window edges over the tile: 8 steps put them in 8 different columns, no gap over a quarter tile", () => {
    for (const seed of [0, 1, 2, 3, 7178915308]) {
      const columns = Array.from({ length: 8 }, (_, step) => windowOffset(LATTICE, seed, step).x).sort((a, b) => a - b);
      const gaps = [...columns.slice(1).map((x, i) => x - columns[i]!), 20 - columns[7]! + columns[0]!];
      expect(Math.min(...gaps), `seed ${seed}: ${columns.join(" ")}`).toBeGreaterThanOrEqual(1);
      expect(Math.max(...gaps), `seed ${seed}: ${columns.join(" ")}`).toBeLessThanOrEqual(5);
    }
  });

  it("start from different offsets for different seeds, huge ones included", () => {
    const starts = new Set([0, 1, 2, 3, 4, 5, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER].map((seed) => JSON.stringify(windowOffset(LATTICE, seed, 0))));
    expect(starts.size).toBeGreaterThanOrEqual(8);
  });

  it("never move along an axis with a single window", () => {
    const strip: WindowLattice = { latent: { x: 0, y: 0, width: 96, height: 32 }, latentTile: { width: 32, height: 32 }, columns: 3, rows: 1 };
    for (let step = 0; step < 30; step++) {
      expect(windowOffset(strip, 3, step).y).toBe(0);
      for (const window of shiftedWindows(strip, 3, step)) for (const piece of window) expect(piece.height).toBe(32);
    }
    const single: WindowLattice = { latent: { x: 8, y: 8, width: 32, height: 32 }, latentTile: { width: 32, height: 32 }, columns: 1, rows: 1 };
    for (let step = 0; step < 10; step++) expect(shiftedWindows(single, 3, step)).toEqual([[{ x: 8, y: 8, width: 32, height: 32, tileX: 0, tileY: 0 }]]);
  });

  it("count one window per tile a step, against 2n - 1 tiles per axis fixed and overlapping by half", () => {
    expect(windowsPerStep({ columns: 6, rows: 5 })).toBe(30);
    expect(overlappingTilesPerStep({ columns: 6, rows: 5 })).toBe(11 * 9);
    expect(overlappingTilesPerStep({ columns: 4, rows: 1 })).toBe(7);
  });

  it("mix with the window kernel's mean along an axis with several windows, and with the kernel itself along an axis with one", () => {
    const { across, down } = shiftedGridProfiles("gaussian", { latentTile: { width: 20, height: 14 }, columns: 4, rows: 1 });
    const kernel = kernelProfile("gaussian", 20);
    const mean = kernel.reduce((s, v) => s + v, 0) / 20;
    expect(across).toHaveLength(80);
    for (const v of across) expect(v).toBeCloseTo(mean, 12);
    expect([...down]).toEqual([...kernelProfile("gaussian", 14)]);
  });
});
