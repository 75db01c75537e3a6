import type { PromptEncoding } from "./model/conditioning.js";
import { textParts, textsToEncode, type Plan, type PlanText } from "../compiler/plan/plan.js";
import type { DiffusionModel } from "./model/diffusion-model.js";

const ENCODE_BATCH = 16;

/**
 * Prompt encodings, each distinct prompt encoded once per model and kept for later renders (watch
 * mode re-renders reuse every unchanged prompt). A prompt is known by its weighted parts, so the
 * same words with other weights are another prompt, and a plain text is its one part.
 */
export class TextEmbeddings {
  private readonly cache = new Map<string, PromptEncoding>();

  constructor(private readonly model: DiffusionModel) {}

  get size(): number {
    return this.cache.size;
  }

  /** Encodings of `texts`, in order. */
  async embed(texts: readonly PlanText[]): Promise<PromptEncoding[]> {
    const keys = texts.map((t) => JSON.stringify(textParts(t)));
    const missing = new Map<string, PlanText>();
    keys.forEach((key, i) => {
      if (!this.cache.has(key)) missing.set(key, texts[i]!);
    });
    const pending = [...missing];
    for (let start = 0; start < pending.length; start += ENCODE_BATCH) {
      const batch = pending.slice(start, start + ENCODE_BATCH);
      const encodings = await this.model.encodePrompts(batch.map(([, text]) => text));
      batch.forEach(([key], i) => this.cache.set(key, encodings[i]!));
    }
    return keys.map((key) => this.cache.get(key)!);
  }

  /**
   * A plan's encodings, indexed like its `texts` (a text no region conditions on stays a hole,
   * plan.ts `textsToEncode`), and the empty prompt's, which its UNet calls pad shorter prompts
   * with (mixture.ts): what `denoise` takes.
   */
  async forPlan(plan: Pick<Plan, "texts" | "regions" | "shiftedGrids">): Promise<{ embeddings: PromptEncoding[]; padding: PromptEncoding }> {
    const needed = textsToEncode(plan, this.model.conditioning.zeroMissingNegative);
    const encoded = await this.embed([...needed.map((i) => plan.texts[i]!), { text: "" }]);
    const padding = encoded.pop()!;
    const embeddings: PromptEncoding[] = [];
    needed.forEach((i, k) => (embeddings[i] = encoded[k]!));
    return { embeddings, padding };
  }
}
