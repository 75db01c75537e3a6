import type { PromptEncoding } from "./model/conditioning.js";
import { textParts, type PlanText } from "../compiler/plan/plan.js";
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

  /** A plan's encodings (its `texts`), and the empty prompt's, which its UNet calls pad shorter prompts with (mixture.ts): what `denoise` takes. */
  async forPlan(texts: readonly PlanText[]): Promise<{ embeddings: PromptEncoding[]; padding: PromptEncoding }> {
    const embeddings = await this.embed([...texts, { text: "" }]);
    const padding = embeddings.pop()!;
    return { embeddings, padding };
  }
}
