import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { denoise } from "../src/runtime/mixture.js";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { NormalNoise } from "../src/runtime/noise.js";
import { createScheduler } from "../src/runtime/schedulers/scheduler.js";
import { TextEmbeddings } from "../src/runtime/text-embeddings.js";
import { decodeLatents, DEFAULT_DECODE_OVERLAP } from "../src/runtime/tiled-decode.js";
import { tiles1D, type Tile1D } from "../src/runtime/tiles.js";
import { compileScene, difference, loadBuiltinModel, withModel } from "./helpers/render-helpers.js";

/**
 * Overlapping tiles with linear cross-fades (src/runtime/tiles.ts) and the tiled VAE decoder
 * built on them (src/runtime/tiled-decode.ts).
 */

/** A (length, tile, overlap) with 0 ≤ overlap < tile, as the decoder and encoder use them. */
const tiling = fc
  .record({ length: fc.integer({ min: 1, max: 3000 }), tile: fc.integer({ min: 1, max: 700 }), overlapShare: fc.double({ min: 0, max: 0.99, noNaN: true }) })
  .map(({ length, tile, overlapShare }) => ({ length, tile, overlap: Math.min(tile - 1, Math.floor(overlapShare * tile)) }));

function coverage(tiles: readonly Tile1D[], length: number): { sum: Float64Array; count: Int32Array } {
  const sum = new Float64Array(length);
  const count = new Int32Array(length);
  for (const t of tiles)
    for (let i = 0; i < t.size; i++) {
      sum[t.start + i]! += t.weight[i]!;
      count[t.start + i]!++;
    }
  return { sum, count };
}

describe("tiles1D", () => {
  it("weights sum to 1 at every position, tiles cover [0, length) and stay inside it", () => {
    fc.assert(
      fc.property(tiling, ({ length, tile, overlap }) => {
        const tiles = tiles1D(length, tile, overlap);
        const where = `length ${length}, tile ${tile}, overlap ${overlap}`;
        expect(tiles.length).toBeGreaterThan(0);
        let previous = -1;
        for (const t of tiles) {
          if (t.start < 0 || t.start + t.size > length) expect.fail(`${where}: tile [${t.start}, ${t.start + t.size}) leaves [0, ${length})`);
          if (t.size > Math.min(tile, length) || t.size !== tiles[0]!.size || t.weight.length !== t.size) expect.fail(`${where}: tile at ${t.start} has size ${t.size}`);
          if (t.start <= previous) expect.fail(`${where}: tile starts are not increasing`);
          previous = t.start;
          if (t.weight.some((w) => !(w > 0 && w <= 1))) expect.fail(`${where}: tile at ${t.start} has a weight outside (0, 1]`);
        }
        expect(tiles[0]!.start).toBe(0);
        expect(tiles.at(-1)!.start + tiles.at(-1)!.size).toBe(length);
        const { sum, count } = coverage(tiles, length);
        for (let i = 0; i < length; i++) {
          if (count[i] === 0) expect.fail(`${where}: position ${i} is not covered`);
          if (Math.abs(sum[i]! - 1) > 1e-6) expect.fail(`${where}: weights at ${i} sum to ${sum[i]}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("consecutive tiles overlap by at least `overlap` and advance by at most tile − overlap", () => {
    fc.assert(
      fc.property(tiling, ({ length, tile, overlap }) => {
        const tiles = tiles1D(length, tile, overlap);
        for (let k = 1; k < tiles.length; k++) {
          const advance = tiles[k]!.start - tiles[k - 1]!.start;
          if (advance <= 0 || advance > tile - overlap) expect.fail(`length ${length}, tile ${tile}, overlap ${overlap}: tile ${k} advances by ${advance}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("uses as few tiles as cover the length, the smallest size that does it, spread evenly", () => {
    fc.assert(
      fc.property(tiling, ({ length, tile, overlap }) => {
        const tiles = tiles1D(length, tile, overlap);
        const where = `length ${length}, tile ${tile}, overlap ${overlap}`;
        const fewest = length <= tile ? 1 : Math.ceil((length - overlap) / (tile - overlap));
        if (tiles.length !== fewest) expect.fail(`${where}: ${tiles.length} tiles, ${fewest} suffice`);
        // The size: no smaller one covers the length with that many tiles and that overlap.
        const size = tiles[0]!.size;
        if (tiles.length > 1 && tiles.length * (size - 1) >= length + (tiles.length - 1) * overlap) expect.fail(`${where}: tiles of ${size - 1} would do`);
        const advances = tiles.slice(1).map((t, k) => t.start - tiles[k]!.start);
        if (advances.length && Math.max(...advances) - Math.min(...advances) > 1) expect.fail(`${where}: uneven advances ${advances.join(", ")}`);
      }),
      { numRuns: 300 },
    );
  });

  it("aligned tiles start and end on multiples of the alignment (whole latent elements for the decoder)", () => {
    fc.assert(
      fc.property(tiling, ({ length, tile, overlap }) => {
        const [units, align] = [Math.ceil(length / 8), 8];
        const tiles = tiles1D(units * align, tile * align, overlap * align, align);
        for (const t of tiles) if (t.start % align !== 0 || t.size % align !== 0) expect.fail(`tile [${t.start}, ${t.start + t.size}) is not aligned to ${align}`);
        const { sum } = coverage(tiles, units * align);
        if (sum.some((w) => Math.abs(w - 1) > 1e-6)) expect.fail("weights do not sum to 1");
      }),
      { numRuns: 200 },
    );
    expect(() => tiles1D(20, 16, 4, 8)).toThrow(RangeError);
  });

  it("spreads the tiles of the issue's canvas (1408 pixels, 512-pixel tiles, 128 overlap) instead of snapping the last: 4 tiles of 448, not of 512", () => {
    const tiles = tiles1D(1408, 512, 128, 8);
    expect(tiles.map((t) => [t.start, t.size])).toEqual([
      [0, 448],
      [320, 448],
      [640, 448],
      [960, 448],
    ]);
  });

  it("has the documented shape: one tile when it fits, linear ramps across the overlap", () => {
    expect(tiles1D(100, 100, 10)).toEqual([{ start: 0, size: 100, weight: new Float32Array(100).fill(1) }]);
    expect(tiles1D(40, 64, 16)).toEqual([{ start: 0, size: 40, weight: new Float32Array(40).fill(1) }]);
    // 10 positions, tiles of 6 overlapping by 2: starts 0 and 4, ramps (i + 1) / 3 over positions 4 and 5.
    const [a, b, ...rest] = tiles1D(10, 6, 2);
    expect(rest).toEqual([]);
    expect([a!.start, b!.start]).toEqual([0, 4]);
    expect(Array.from(a!.weight)).toEqual([1, 1, 1, 1, Math.fround(2 / 3), Math.fround(1 / 3)]);
    expect(Array.from(b!.weight)).toEqual([Math.fround(1 / 3), Math.fround(2 / 3), 1, 1, 1, 1]);
    // A canvas that is exactly a whole number of strides needs no flush-right tile.
    expect(tiles1D(16, 6, 1).map((t) => t.start)).toEqual([0, 5, 10]);
  });

  it("rejects an overlap as big as the tile (it would never advance) instead of looping", () => {
    for (const [tile, overlap] of [
      [8, 8],
      [8, 9],
      [8, -1],
      [0, 0],
      [8.5, 2],
    ])
      expect(() => tiles1D(100, tile!, overlap!), `tile ${tile}, overlap ${overlap}`).toThrow(RangeError);
  });
});

describe("tiled VAE decoding with the built-in model", () => {
  let model: OnnxDiffusionModel;
  withModel(loadBuiltinModel, (loaded) => (model = loaded));

  /** Latents of a real render: two overlapping regions, 72 x 40 latent elements. */
  async function renderedLatents(): Promise<{ latents: Float32Array; width: number; height: number }> {
    const plan = compileScene(`canvas 576 x 320
seed 0
steps 6
region a { at 0, 0    size 320 x 320  prompt "a red desert" }
region b { at 256, 0  size 320 x 320  prompt "a blue sea" }
`);
    const scheduler = createScheduler(plan.scheduler.name, plan.steps, { karras: plan.scheduler.karras, config: model.schedulerConfig });
    const { embeddings, padding } = await new TextEmbeddings(model).forPlan(plan);
    const latents = await denoise({ model, plan, scheduler, embeddings, padding, batch: 1 });
    return { latents, width: plan.latent.width, height: plan.latent.height };
  }

  /** Pixels (x or y) that only one tile covers, for a tiling in latent elements. */
  function singlyCovered(length: number, tile: number, overlap: number): boolean[] {
    const { count } = coverage(tiles1D(length * 8, tile * 8, overlap * 8, 8), length * 8);
    return Array.from(count, (c) => c === 1);
  }

  it("equals whole-canvas decoding, exactly where one tile covers a pixel and within one level elsewhere (rendered latents)", async () => {
    const { latents, width, height } = await renderedLatents();
    const whole = await decodeLatents(model, latents, width, height, { tile: Infinity, overlap: 0 });
    expect(whole).toHaveLength(width * 8 * height * 8 * 3);
    for (const [tile, overlap] of [
      [16, 4],
      [24, 8],
      [32, 8],
      [20, 6],
    ] as const) {
      let tiles = 0;
      const tiled = await decodeLatents(model, latents, width, height, { tile, overlap, onTile: (_done, total) => (tiles = total) });
      expect(tiles).toBe(tiles1D(width * 8, tile * 8, overlap * 8, 8).length * tiles1D(height * 8, tile * 8, overlap * 8, 8).length);
      // Measured: at most 1 level (rounding) for every tiling here; about 0.3-1% of the bytes differ.
      expect(difference(whole, tiled).max, `tile ${tile}, overlap ${overlap}`).toBeLessThanOrEqual(1);
      const cols = singlyCovered(width, tile, overlap);
      const rows = singlyCovered(height, tile, overlap);
      const W = width * 8;
      for (let y = 0; y < height * 8; y++) {
        if (!rows[y]) continue;
        for (let x = 0; x < W; x++) {
          if (!cols[x]) continue;
          const o = (y * W + x) * 3;
          if (whole[o] !== tiled[o] || whole[o + 1] !== tiled[o + 1] || whole[o + 2] !== tiled[o + 2])
            expect.fail(`tile ${tile}/${overlap}: pixel ${x}, ${y} covered by one tile differs from the whole decode`);
        }
      }
    }
  });

  it("stays close to whole-canvas decoding for rough latents (the bilinear upsampling's tile borders)", async () => {
    // Unit-normal latents are far rougher than any picture: adjacent latent columns differ by
    // ~1.4 σ, and a tile's outer 4 pixel rows and columns (clamped by the bilinear upsampling
    // instead of interpolated with the neighbour outside the tile) are off by up to 7/16 of that.
    // They only count with the cross-fade's smallest weights, at most 4 / (8·overlap + 1).
    const width = 72;
    const height = 40;
    const latents = new NormalNoise(5).fill(new Float32Array(4 * width * height));
    const whole = await decodeLatents(model, latents, width, height, { tile: Infinity, overlap: 0 });
    for (const [tile, overlap, tolerance] of [
      [16, 4, 12],
      [32, 8, 6],
      [64, DEFAULT_DECODE_OVERLAP, 3],
    ] as const) {
      const tiled = await decodeLatents(model, latents, width, height, { tile, overlap });
      const { max, count } = difference(whole, tiled);
      // Measured: max 10, 5 and 2 levels; 7.8%, 2.5% and 0.4% of the bytes differ.
      expect(max, `tile ${tile}, overlap ${overlap}`).toBeLessThanOrEqual(tolerance);
      expect(count / whole.length, `tile ${tile}, overlap ${overlap}`).toBeLessThan(0.1);
    }
  });

  it("decodes whole when the tile is at least the canvas", async () => {
    const width = 24;
    const height = 16;
    const latents = new NormalNoise(9).fill(new Float32Array(4 * width * height)).map((v) => v * 0.3);
    const whole = await decodeLatents(model, latents, width, height, { tile: Infinity, overlap: 0 });
    let tiles = 0;
    const big = await decodeLatents(model, latents, width, height, { tile: 24, overlap: 8, onTile: (_, total) => (tiles = total) });
    expect(tiles).toBe(1);
    expect(difference(whole, big).max).toBe(0);
  });

  it("the VAE encoder, which the encoding tiles go through, takes one image at a time: a batch of two is refused, not half-read", async () => {
    await expect(model.encodeImage(new Float32Array(2 * 3 * 16 * 16), [2, 3, 16, 16])).rejects.toThrow("encodeImage encodes one image at a time, not a batch of 2");
    expect((await model.encodeImage(new Float32Array(3 * 16 * 16), [1, 3, 16, 16])).length).toBe(4 * 2 * 2);
  });
});
