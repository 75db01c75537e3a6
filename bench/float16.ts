/**
 * float32 → float16 conversion of a float16 UNet's inputs at Stable Diffusion 1.5's size, one 512²
 * tile with classifier-free guidance: the sample [2, 4, 64, 64] and the text embeddings
 * [2, 77, 768]. Rows: each input converted into a new array (what every step did before
 * half-inputs.ts), into a reused buffer, and one step's inputs as OnnxDiffusionModel.unet converts
 * them now (HalfInputs: the sample into its reused buffer, the embeddings found already converted).
 * Prints ms per conversion and writes bench/results/float16.json.
 */
import { float32ToHalfArray } from "../src/runtime/onnx/float16.js";
import { HalfInputs } from "../src/runtime/model/half-inputs.js";
import { environment, measure, table, writeResult, type Benchmark } from "./harness.js";

const SAMPLE = 2 * 4 * 64 * 64;
const HIDDEN = 2 * 77 * 768;
const OPTIONS = { warmup: 5, minRuns: 20, maxRuns: 500, budgetMs: 2000 };

function values(length: number, seed: number): Float32Array {
  // Latent- and embedding-like magnitudes (about ±4), with every exponent a float16 can hold.
  return Float32Array.from({ length }, (_, i) => Math.sin(i * 0.618 + seed) * 4 * 2 ** -((i * 7) % 20));
}

export const benchmark: Benchmark = {
  name: "float16",
  async run() {
    const sample = values(SAMPLE, 1);
    const hidden = values(HIDDEN, 2);
    const sampleOut = new Uint16Array(SAMPLE);
    const hiddenOut = new Uint16Array(HIDDEN);
    const inputs = new HalfInputs();
    const rows: [string, ReturnType<typeof measure>][] = [
      ["sample, new array", measure(() => float32ToHalfArray(sample), OPTIONS)],
      ["embeddings, new array", measure(() => float32ToHalfArray(hidden), OPTIONS)],
      ["sample, reused buffer", measure(() => float32ToHalfArray(sample, sampleOut), OPTIONS)],
      ["embeddings, reused buffer", measure(() => float32ToHalfArray(hidden, hiddenOut), OPTIONS)],
      [
        "one step (HalfInputs)",
        measure(() => {
          inputs.release(inputs.sample(sample));
          inputs.embedding(hidden);
        }, OPTIONS),
      ],
    ];
    console.log(table(["conversion", "median ms", "min ms"], rows.map(([name, t]) => [name, t.medianMs.toFixed(3), t.minMs.toFixed(3)])));
    const out = writeResult("float16", { environment: environment(), sample: [2, 4, 64, 64], hidden: [2, 77, 768], rows: rows.map(([name, timing]) => ({ name, ...timing, samplesMs: undefined })) });
    console.log(`\nwrote ${out}`);
  },
};
