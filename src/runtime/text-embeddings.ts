import type { DiffusionModel } from "./model/diffusion-model.js";

const ENCODE_BATCH = 16;

/**
 * Prompt embeddings, each distinct text encoded once per model and kept for later renders (watch
 * mode re-renders reuse every unchanged prompt).
 */
export class TextEmbeddings {
  private readonly cache = new Map<string, Float32Array>();

  constructor(private readonly model: DiffusionModel) {}

  get size(): number {
    return this.cache.size;
  }

  /** Embeddings of `texts`, in order; `onTruncated` hears about each text cut to the model's length. */
  async embed(texts: readonly string[], onTruncated?: (text: string, dropped: string) => void): Promise<Float32Array[]> {
    const missing = [...new Set(texts.filter((t) => !this.cache.has(t)))];
    const per = this.model.sequenceLength;
    for (let start = 0; start < missing.length; start += ENCODE_BATCH) {
      const chunk = missing.slice(start, start + ENCODE_BATCH);
      const ids = new Int32Array(chunk.length * per);
      chunk.forEach((text, i) => {
        const encoded = this.model.tokenize(text);
        if (encoded.truncated) onTruncated?.(text, encoded.droppedText ?? "");
        ids.set(encoded.ids, i * per);
      });
      const hidden = await this.model.encodeText(ids, chunk.length);
      const size = per * this.model.hiddenSize;
      chunk.forEach((text, i) => this.cache.set(text, hidden.slice(i * size, (i + 1) * size)));
    }
    return texts.map((t) => this.cache.get(t)!);
  }
}
