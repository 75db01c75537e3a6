import type { PromptEncoding } from "./model/conditioning.js";
import type { PlanText } from "../compiler/plan/plan.js";
import type { DiffusionModel } from "./model/diffusion-model.js";

const ENCODE_BATCH = 16;

/**
 * Prompt encodings, each distinct text encoded once per model and kept for later renders (watch
 * mode re-renders reuse every unchanged prompt).
 */
export class TextEmbeddings {
  private readonly cache = new Map<string, PromptEncoding>();

  constructor(private readonly model: DiffusionModel) {}

  get size(): number {
    return this.cache.size;
  }

  /** Encodings of `texts`, in order; `onTruncated` hears about each text cut to the model's length. */
  async embed(planTexts: readonly PlanText[], onTruncated?: (text: string, dropped: string) => void): Promise<PromptEncoding[]> {
    const texts = planTexts.map((t) => t.text);
    const missing = [...new Set(texts.filter((t) => !this.cache.has(t)))];
    for (const text of missing) {
      const encoded = this.model.tokenize(text);
      if (encoded.truncated) onTruncated?.(text, encoded.droppedText ?? "");
    }
    for (let start = 0; start < missing.length; start += ENCODE_BATCH) {
      const chunk = missing.slice(start, start + ENCODE_BATCH);
      const encodings = await this.model.encodePrompts(chunk);
      chunk.forEach((text, i) => this.cache.set(text, encodings[i]!));
    }
    return texts.map((t) => this.cache.get(t)!);
  }
}
