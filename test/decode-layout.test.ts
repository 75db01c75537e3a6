import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_DECODE_MEMORY, DEFAULT_DECODE_OVERLAP } from "../src/runtime/tiled-decode.js";
import type { AttentionForm } from "../src/runtime/onnx/attention-form.js";
import { autoencoderKlProfile, SD15_DECODER_PROFILE, stagedTileBytes, wholeDecodeBytes } from "../src/runtime/vae/decoder-cost.js";
import { decodeLayout, decodeWork, type DecodeLayout } from "../src/runtime/vae/decode-layout.js";
import { planDecoder } from "../src/runtime/vae/decoder-plan.js";

/**
 * How a canvas is decoded within a memory budget (src/runtime/vae/decode-layout.ts): whole when
 * the decoder's estimated peak fits, else the tiles of least work that fit; and the decoder's
 * cost profile those decisions rest on (decoder-cost.ts).
 */

const GiB = 2 ** 30;
/** The canvas (the paper's Figure 4) and two large ones, in latent elements. */
const CANVASES = [
  [176, 80],
  [256, 256],
  [480, 270],
] as const;
/** SD 1.5's receptive field, as planDecoder reads it off the graph (the tiny VAEs': 14). */
const SD15_PADDING = 18;

const conformance = path.resolve("../shared/conformance");
const present = existsSync(path.join(conformance, "models/tiny-sd15/vae_decoder/model.onnx"));

/** Each tile's estimated peak: staged tiles per convolution on their core grown by its reach; cross-faded tiles decoded whole. */
function tileBytes(layout: DecodeLayout, width: number, height: number): number[] {
  if (layout.kind === "whole") return [wholeDecodeBytes(SD15_DECODER_PROFILE, width * height)];
  if (layout.kind === "crossfaded") return layout.rows.flatMap((r) => layout.cols.map((c) => wholeDecodeBytes(SD15_DECODER_PROFILE, (r.size / 8) * (c.size / 8))));
  return layout.grid.map((t) =>
    stagedTileBytes(SD15_DECODER_PROFILE, (reach) => {
      const m = Math.min(layout.padding, reach);
      return (Math.min(t.x1, t.cx1 + m) - Math.max(t.x0, t.cx0 - m)) * (Math.min(t.y1, t.cy1 + m) - Math.max(t.y0, t.cy0 - m));
    }),
  );
}

describe("decode layouts for SD 1.5's decoder", () => {
  it("do at most 1.3x the canvas's work under the default budget at 1408 x 640, 2048 x 2048 and 3840 x 2160, staged and cross-faded", () => {
    for (const [width, height] of CANVASES)
      for (const padding of [SD15_PADDING, undefined]) {
        const layout = decodeLayout({ width, height, profile: SD15_DECODER_PROFILE, memory: DEFAULT_DECODE_MEMORY, overlap: DEFAULT_DECODE_OVERLAP, ...(padding !== undefined ? { padding } : {}) });
        const where = `${width * 8} x ${height * 8}, ${padding !== undefined ? "staged" : "cross-faded"}`;
        expect(layout.kind, where).toBe(padding !== undefined ? "staged" : "crossfaded");
        // Measured (this function): staged 1.000, 1.055, 1.070; cross-faded 1.091, 1.195, 1.234. Before: 2.33x at 1408 x 640 cross-faded.
        expect(decodeWork(layout, width, height, SD15_DECODER_PROFILE), where).toBeLessThanOrEqual(1.3);
        expect(Math.max(...tileBytes(layout, width, height)), where).toBeLessThanOrEqual(DEFAULT_DECODE_MEMORY);
      }
  });

  it("derive the tiles from the budget: a smaller one gives more, smaller tiles, each within it", () => {
    const [width, height] = [256, 256];
    let previous = 0;
    for (const memory of [8 * GiB, 4 * GiB, 1 * GiB, 0.5 * GiB]) {
      const layout = decodeLayout({ width, height, profile: SD15_DECODER_PROFILE, memory, overlap: DEFAULT_DECODE_OVERLAP, padding: SD15_PADDING });
      if (layout.kind !== "staged") expect.fail(`${memory} bytes: ${layout.kind}`);
      expect(layout.grid.length, `${memory / GiB} GiB`).toBeGreaterThan(previous);
      expect(Math.max(...tileBytes(layout, width, height)), `${memory / GiB} GiB`).toBeLessThanOrEqual(memory);
      previous = layout.grid.length;
    }
  });

  it("decode whole when the estimate fits the budget, and in forced tiles when asked, whatever the budget", () => {
    const [width, height] = [96, 96];
    const fits = wholeDecodeBytes(SD15_DECODER_PROFILE, width * height);
    // The mid-block attention's scores grow with the square of the area: 2.3 GiB at 768², 4.06 GiB at 1408 x 640.
    expect(fits / GiB).toBeCloseTo(2.32, 2);
    const request = { width, height, profile: SD15_DECODER_PROFILE, overlap: DEFAULT_DECODE_OVERLAP, padding: SD15_PADDING };
    expect(decodeLayout({ ...request, memory: fits })).toEqual({ kind: "whole" });
    expect(decodeLayout({ ...request, memory: fits - 1 }).kind).toBe("staged");
    const forced = decodeLayout({ ...request, memory: 100 * GiB, tile: 40 });
    expect(forced.kind === "staged" && [forced.cols, forced.rows]).toEqual([3, 3]);
    expect(decodeLayout({ ...request, memory: 1, tile: 96 })).toEqual({ kind: "whole" });
  });

  it("a decoder whose attention is fused (the CPU's default) or sliced needs no full score matrix: the paper's 1408 x 640 decodes whole within the default budget", () => {
    const [width, height] = [176, 80];
    const as = (form: AttentionForm) => ({ ...SD15_DECODER_PROFILE, wholeAttention: form });
    const exported = wholeDecodeBytes(SD15_DECODER_PROFILE, width * height);
    expect(exported / GiB).toBeCloseTo(4.06, 2);
    expect(wholeDecodeBytes(as("exported"), width * height)).toBe(exported);
    const fused = wholeDecodeBytes(as("fused"), width * height);
    const sliced = wholeDecodeBytes(as("sliced"), width * height);
    // Left: the activations, 3 x 256 channels x 64 pixels a latent element x 4 bytes.
    expect(fused).toBe(3 * 256 * 64 * 4 * width * height);
    expect(sliced).toBeGreaterThan(fused);
    expect(sliced).toBeLessThan(fused + (exported - fused) / 16);
    const request = { width, height, overlap: DEFAULT_DECODE_OVERLAP, padding: SD15_PADDING, memory: DEFAULT_DECODE_MEMORY };
    expect(decodeLayout({ ...request, profile: SD15_DECODER_PROFILE }).kind).toBe("staged");
    expect(decodeLayout({ ...request, profile: as("fused") })).toEqual({ kind: "whole" });
  });

  it("a budget too small for any tile gets the smallest tiles allowed, not a loop or a crash", () => {
    const layout = decodeLayout({ width: 64, height: 32, profile: SD15_DECODER_PROFILE, memory: 1, overlap: DEFAULT_DECODE_OVERLAP, padding: SD15_PADDING });
    expect(layout.kind === "staged" && [layout.cols, layout.rows]).toEqual([4, 2]);
    const faded = decodeLayout({ width: 64, height: 32, profile: SD15_DECODER_PROFILE, memory: 1, overlap: DEFAULT_DECODE_OVERLAP });
    expect(faded.kind === "crossfaded" && faded.cols.every((t) => t.size >= 2 * DEFAULT_DECODE_OVERLAP * 8)).toBe(true);
  });
});

describe.runIf(present)("the decoder profile read off the graph", () => {
  it("is diffusers' AutoencoderKL's for every tiny conformance VAE (block channels 32, 32, 64, 64; one layer per block), fp16 with 2-byte values", () => {
    for (const name of ["tiny-sd15", "tiny-sd15-fp16", "tiny-sd15-optimum", "tiny-sd2-v", "tiny-sdxl"]) {
      const plan = planDecoder(readFileSync(path.join(conformance, "models", name, "vae_decoder/model.onnx")), () => undefined);
      if ("reason" in plan) expect.fail(`${name}: ${plan.reason}`);
      expect(plan.profile, name).toEqual(autoencoderKlProfile([32, 32, 64, 64], 1, 4, name.endsWith("fp16") ? 2 : 4));
      expect(Math.max(...plan.profile.convs.map((c) => c.reach)), name).toBe(plan.reach.get(plan.input));
    }
    // The same model of SD 1.5's decoder: its receptive field is 18 latent elements, its widest activation 256 channels at full resolution.
    expect(Math.max(...SD15_DECODER_PROFILE.convs.map((c) => c.reach))).toBe(SD15_PADDING);
    expect(Math.max(...SD15_DECODER_PROFILE.convs.map((c) => c.values))).toBe(256 * 64);
  });
});
