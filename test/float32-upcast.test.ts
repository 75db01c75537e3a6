import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import onnxProto from "onnx-proto";
import ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { folderSource } from "../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { float32ToHalfArray, halfArrayToFloat32 } from "../src/runtime/onnx/float16.js";
import { float32Model } from "../src/runtime/onnx/float32-upcast.js";
import { CONFORMANCE_ROOT, relativeL2 } from "./helpers/conformance-cases.js";

/**
 * `force_upcast` (SDXL's VAE config): a float16 VAE decoder computes in float32, as diffusers
 * upcasts it, through the graph rewrite of float32-upcast.ts. Checked on the tiny fp16 SD 1.5
 * export's decoder: the rewritten graph takes and gives float32 and computes what the fp32
 * model does up to the float16 rounding of its weights; a model folder whose VAE config says
 * `force_upcast` decodes with it, one without does not.
 */

const { onnx } = onnxProto;
const fp16 = path.join(CONFORMANCE_ROOT, "models/tiny-sd15-fp16");
const fp32 = path.join(CONFORMANCE_ROOT, "models/tiny-sd15");
const present = existsSync(fp16) && existsSync(fp32);
if (!present) console.log(`float32-upcast: ${fp16} is absent; the upcast checks are skipped`);
const work = mkdtempSync(path.join(tmpdir(), "scenec-upcast-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const latents = Float32Array.from({ length: 4 * 32 * 32 }, (_, i) => Math.sin(i * 0.37) * 3);

async function decodeWith(bytes: Uint8Array, half: boolean): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const input = half ? new ort.Tensor("float16", float32ToHalfArray(latents), [1, 4, 32, 32]) : new ort.Tensor("float32", latents, [1, 4, 32, 32]);
  const out = (await session.run({ latent_sample: input }))[session.outputNames[0]!]!;
  await session.release();
  return out.type === "float16" ? halfArrayToFloat32(out.data as Uint16Array) : (out.data as Float32Array);
}

describe.runIf(present)("float32 upcast of a float16 VAE", () => {
  const bytes = () => readFileSync(path.join(fp16, "vae_decoder/model.onnx"));

  it("makes the graph float32 throughout and computes what the fp32 model does, to the weights' float16 rounding", async () => {
    const upcast = float32Model(bytes())!;
    expect(upcast).toBeDefined();
    const graph = onnx.ModelProto.decode(upcast).graph!;
    const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
    expect([...graph.input!, ...graph.output!, ...graph.valueInfo!].filter((v) => v.type?.tensorType?.elemType === FLOAT16)).toEqual([]);
    expect(graph.initializer!.filter((t) => t.dataType === FLOAT16)).toEqual([]);
    const reference = await decodeWith(readFileSync(path.join(fp32, "vae_decoder/model.onnx")), false);
    const [asUpcast, asHalf] = [await decodeWith(upcast, false), await decodeWith(bytes(), true)];
    // Measured: 1.6e-3 (the weights' float16 rounding) against 1.8e-3 computing in float16.
    expect(relativeL2(asUpcast, reference)).toBeLessThan(2e-3);
    expect(relativeL2(asUpcast, reference)).toBeLessThan(relativeL2(asHalf, reference));
  });

  it("leaves a float32 graph alone", () => {
    expect(float32Model(readFileSync(path.join(fp32, "vae_decoder/model.onnx")))).toBeUndefined();
  });

  it("a model folder decodes in float32 when its VAE config says force_upcast, in float16 when not", async () => {
    const folderWith = (forceUpcast: boolean) => {
      const folder = path.join(work, `upcast-${forceUpcast}`);
      mkdirSync(path.join(folder, "vae_decoder"), { recursive: true });
      for (const entry of readdirSync(fp16)) if (entry !== "vae_decoder") symlinkSync(path.join(fp16, entry), path.join(folder, entry));
      symlinkSync(path.join(fp16, "vae_decoder/model.onnx"), path.join(folder, "vae_decoder/model.onnx"));
      writeFileSync(path.join(folder, "vae_decoder/config.json"), JSON.stringify({ scaling_factor: 0.18215, force_upcast: forceUpcast }));
      return folder;
    };
    const decoded = async (folder: string) => {
      const model = await OnnxDiffusionModel.load(folderSource(folder), { device: "cpu", modelCache: null });
      try {
        return (await model.decode(latents, [1, 4, 32, 32])).slice();
      } finally {
        await model.release();
      }
    };
    const [upcast, half] = [await decoded(folderWith(true)), await decoded(folderWith(false))];
    // The folder's decoder is the upcast graph (its attention fused, as on every CPU load): the same numbers to rounding.
    expect(relativeL2(upcast, await decodeWith(float32Model(bytes())!, false))).toBeLessThan(1e-5);
    expect(relativeL2(half, await decodeWith(bytes(), true))).toBeLessThan(1e-3);
    expect(relativeL2(upcast, half)).toBeGreaterThan(1e-4);
  });
});
