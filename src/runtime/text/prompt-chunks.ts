import type { PromptSegment } from "../../compiler/plan/plan.js";

/**
 * A prompt as the text encoder reads it, the way Automatic1111 packs it (modules/sd_hijack_clip.py,
 * `tokenize_line`): each weighted segment tokenized on its own, its tokens carrying its weight,
 * packed into chunks of `maxLength − 2` (75) tokens; each chunk `[bos] + 75 + [eos]` and run
 * through the encoder on its own; the chunks' embeddings concatenated along the sequence.
 *
 * - A `BREAK` (a new part) closes the chunk, even an empty one (then it is all padding).
 * - Comma backtracking (`comma_padding_backtrack` = 20): when a chunk is full and its last comma
 *   is at most 20 tokens back, the tokens after that comma move on to the next chunk, so that a
 *   phrase is not split across chunks.
 * - A chunk shorter than 75 is padded after its eos with the tokenizer's pad token, weight 1. That
 *   is A1111's padding too: it pads with eos, then SD 2.x (whose pad differs from eos) replaces
 *   everything after the first eos with its pad id 0 — the pad tokens of SD 1.x's (`<|endoftext|>`)
 *   and SD 2.x's (`!`) tokenizer files. So a plain prompt of at most 75 tokens is exactly what the
 *   tokenizer alone gives ([bos, …, eos, pad…]), as diffusers encodes it.
 * - The empty prompt is one chunk of padding.
 */

/** One chunk: `maxLength` token ids and each token's weight. */
export interface TokenChunk {
  ids: Int32Array;
  weights: Float32Array;
}

/** What chunking needs of a tokenizer (ClipTokenizer has it). */
export interface ChunkTokenizer {
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  contentIds(text: string): number[];
  tokenId(token: string): number | undefined;
}

/** A1111's `comma_padding_backtrack` default: how far back (in tokens) a full chunk looks for a comma to break at. */
export const COMMA_BACKTRACK = 20;

/** A prompt's `BREAK`-separated parts (plan.ts `textParts`) → its chunks, at least one. */
export function promptChunks(parts: readonly (readonly PromptSegment[])[], tokenizer: ChunkTokenizer): TokenChunk[] {
  const size = tokenizer.maxLength - 2;
  const comma = tokenizer.tokenId(",</w>");
  const chunks: TokenChunk[] = [];
  let ids: number[] = [];
  let weights: number[] = [];
  // Where in `ids` the chunk's last comma is; -1 when none.
  let lastComma = -1;

  const close = () => {
    const chunk = { ids: new Int32Array(size + 2).fill(tokenizer.padId), weights: new Float32Array(size + 2).fill(1) };
    chunk.ids[0] = tokenizer.bosId;
    chunk.ids.set(ids, 1);
    chunk.weights.set(weights, 1);
    chunk.ids[ids.length + 1] = tokenizer.eosId;
    chunks.push(chunk);
    ids = [];
    weights = [];
    lastComma = -1;
  };

  parts.forEach((segments, p) => {
    if (p > 0) close(); // BREAK
    for (const { text, weight } of segments)
      for (const id of tokenizer.contentIds(text)) {
        if (id === comma) lastComma = ids.length;
        else if (ids.length === size && lastComma !== -1 && ids.length - lastComma <= COMMA_BACKTRACK) {
          // The chunk is full: what follows its last comma starts the next one.
          const movedIds = ids.slice(lastComma + 1);
          const movedWeights = weights.slice(lastComma + 1);
          ids.length = weights.length = lastComma + 1;
          close();
          ids = movedIds;
          weights = movedWeights;
        }
        if (ids.length === size) close();
        ids.push(id);
        weights.push(weight);
      }
  });
  if (ids.length > 0 || chunks.length === 0) close();
  return chunks;
}

/** Whether every token of `chunks` has weight 1 (then the embeddings are the encoder's own). */
export function unweighted(chunks: readonly TokenChunk[]): boolean {
  return chunks.every((c) => c.weights.every((w) => w === 1));
}
