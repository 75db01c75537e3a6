import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { SD15_UNET, unetGraph, writeUnet, type UnetConfig } from "../bench/sd15-size-unet-graph.js";
import { slicedAttentionModel } from "../src/runtime/onnx/sliced-attention.js";

/** The benchmark's SD-1.5-size UNet builder (bench/sd15-size-unet-graph.ts). */

const { onnx } = onnxProto;
const nodes = (model: Uint8Array) => onnx.ModelProto.decode(model).graph!.node!;
/** The attentions the loader's rewrite sliced: its nodes are named scenec_attnN_…. */
const slicedCount = (model: Uint8Array) => new Set(nodes(model).map((n) => /^scenec_attn(\d+)_/.exec(n.name ?? "")?.[1]).filter((n) => n !== undefined)).size;

/** SD 1.5's architecture at small widths: two levels, the first with cross-attention. */
const MINI: UnetConfig = { blockOutChannels: [32, 64], crossAttention: [true, false], layersPerBlock: 1, heads: 2, crossAttentionDim: 16, normGroups: 8 };

describe("SD-1.5-size UNet graph", () => {
  it("has SD 1.5's 859,520,964 parameters and 32 attentions, all of which the loader slices", () => {
    const unet = unetGraph(SD15_UNET);
    expect(unet.parameters).toBe(859_520_964);
    // 16 transformers (6 down, 1 mid, 9 up), each with self- and cross-attention.
    expect(nodes(unet.model).filter((n) => n.opType === "Softmax")).toHaveLength(32);
    expect(slicedCount(slicedAttentionModel(unet.model)!)).toBe(32);
  });

  describe("a small one, written to a folder", () => {
    const folder = mkdtempSync(join(tmpdir(), "scenec-unet-graph-"));
    afterAll(() => rmSync(folder, { recursive: true, force: true }));
    const unet = writeUnet(folder, MINI, 7);
    const [batch, size] = [2, 16];
    const feeds = (timestep: number) => ({
      sample: new ort.Tensor("float32", Float32Array.from({ length: batch * 4 * size * size }, (_, i) => Math.sin(i * 0.37)), [batch, 4, size, size]),
      timestep: new ort.Tensor("float32", new Float32Array(batch).fill(timestep), [batch]),
      encoder_hidden_states: new ort.Tensor("float32", Float32Array.from({ length: batch * 77 * 16 }, (_, i) => Math.cos(i * 0.11)), [batch, 77, 16]),
    });
    const run = async (session: ort.InferenceSession, timestep: number) => {
      const out = (await session.run(feeds(timestep)))["out_sample"]!;
      return { dims: out.dims, data: out.data as Float32Array };
    };

    it("loads in ONNX Runtime with its external weights and predicts finite noise of the sample's shape, depending on the timestep", async () => {
      const session = await ort.InferenceSession.create(join(folder, "model.onnx"));
      const early = await run(session, 999);
      const late = await run(session, 1);
      await session.release();
      expect(early.dims).toEqual([batch, 4, size, size]);
      expect(early.data.every(Number.isFinite)).toBe(true);
      const rms = Math.sqrt(early.data.reduce((s, v) => s + v * v, 0) / early.data.length);
      expect(rms).toBeGreaterThan(1e-3);
      expect(rms).toBeLessThan(1e3);
      expect(late.data.some((v, i) => Math.abs(v - early.data[i]!) > 1e-4)).toBe(true);
      expect(readFileSync(join(folder, "weights.pb")).length).toBe(unet.parameters * 4);
    });

    it("gives the same prediction with its attention sliced, as the loader opens it", async () => {
      const asExported = await ort.InferenceSession.create(join(folder, "model.onnx"));
      const sliced = slicedAttentionModel(readFileSync(join(folder, "model.onnx")));
      // 4 transformers (1 down, 1 mid, 2 up), each with self- and cross-attention.
      expect(slicedCount(sliced!)).toBe(8);
      const asSliced = await ort.InferenceSession.create(sliced!, { externalData: [{ path: "weights.pb", data: readFileSync(join(folder, "weights.pb")) }] });
      const [a, b] = [await run(asExported, 500), await run(asSliced, 500)];
      await Promise.all([asExported.release(), asSliced.release()]);
      const diff = Math.sqrt(a.data.reduce((s, v, i) => s + (v - b.data[i]!) ** 2, 0) / a.data.reduce((s, v) => s + v * v, 0));
      expect(diff).toBeLessThan(1e-5);
    });
  });
});
