import { describe, expect, it } from "vitest";
import type { PromptSegment } from "../src/compiler/plan/plan.js";
import { builtinModelFiles } from "../src/runtime/builtin/builtin-model.js";
import { SD2_V_PREDICTION } from "../src/runtime/builtin/signature.js";
import { ClipTokenizer } from "../src/runtime/text/clip-tokenizer.js";
import { promptChunks, type ChunkTokenizer, type TokenChunk } from "../src/runtime/text/prompt-chunks.js";
import { emphasise } from "../src/runtime/text/weighted-embedding.js";

/**
 * Chunk layout and weights as Automatic1111's `tokenize_line` makes them, on hand-computed cases:
 * a toy tokenizer whose every word is one token, `wN` the id 100 + N, "," the id 5.
 */
const BOS = 1;
const EOS = 2;
const PAD = 0;
const COMMA = 5;
const toy: ChunkTokenizer = {
  maxLength: 77,
  bosId: BOS,
  eosId: EOS,
  padId: PAD,
  tokenId: (token) => (token === ",</w>" ? COMMA : undefined),
  contentIds: (text) => text.split(/\s+/).filter(Boolean).map((w) => (w === "," ? COMMA : 100 + Number(w.slice(1)))),
};

/** `count` words from `from`, as text: "w0 w1 …". */
const words = (from: number, count: number) => Array.from({ length: count }, (_, i) => `w${from + i}`).join(" ");
const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => 100 + from + i);
const plain = (text: string): PromptSegment[][] => [[{ text, weight: 1 }]];

/** A chunk's content tokens (between bos and the first eos), checking the frame around them. */
function content(chunk: TokenChunk): number[] {
  expect(chunk.ids).toHaveLength(77);
  expect(chunk.ids[0]).toBe(BOS);
  const end = chunk.ids.indexOf(EOS, 1);
  expect(Array.from(chunk.ids.subarray(end + 1))).toEqual(new Array(76 - end).fill(PAD));
  return Array.from(chunk.ids.subarray(1, end));
}

describe("prompt chunks", () => {
  it("the empty prompt is one chunk of padding", () => {
    const chunks = promptChunks(plain(""), toy);
    expect(chunks).toHaveLength(1);
    expect(Array.from(chunks[0]!.ids)).toEqual([BOS, EOS, ...new Array(75).fill(PAD)]);
    expect(chunks[0]!.weights.every((w) => w === 1)).toBe(true);
  });

  it("exactly 75 tokens fill one chunk; the 76th starts a second", () => {
    const full = promptChunks(plain(words(0, 75)), toy);
    expect(full.map(content)).toEqual([ids(0, 75)]);
    expect(full[0]!.ids[76]).toBe(EOS);
    const over = promptChunks(plain(words(0, 76)), toy);
    expect(over.map(content)).toEqual([ids(0, 75), ids(75, 1)]);
  });

  it("a full chunk breaks after its last comma when it is at most 20 tokens back", () => {
    // 70 words, a comma (index 70), 10 words: full at 75 with 4 words after the comma (75 − 70 = 5 ≤ 20),
    // so those 4 move to the second chunk.
    const near = promptChunks(plain(`${words(0, 70)} , ${words(70, 10)}`), toy);
    expect(near.map(content)).toEqual([[...ids(0, 70), COMMA], ids(70, 10)]);
    // The comma at index 50: 75 − 50 = 25 > 20, so the chunk is cut at 75 tokens.
    const far = promptChunks(plain(`${words(0, 50)} , ${words(50, 30)}`), toy);
    expect(far.map(content)).toEqual([[...ids(0, 50), COMMA, ...ids(50, 24)], ids(74, 6)]);
    // A comma as the 76th token opens the next chunk (A1111 forgets it as a break point there).
    const comma = promptChunks(plain(`${words(0, 75)} , ${words(75, 2)}`), toy);
    expect(comma.map(content)).toEqual([ids(0, 75), [COMMA, ...ids(75, 2)]]);
  });

  it("BREAK closes the chunk, even an empty one", () => {
    const parts: PromptSegment[][] = [[{ text: words(0, 2), weight: 1 }], [{ text: words(2, 1), weight: 1 }]];
    expect(promptChunks(parts, toy).map(content)).toEqual([ids(0, 2), ids(2, 1)]);
    const leading: PromptSegment[][] = [[], [{ text: words(0, 1), weight: 1 }]];
    expect(promptChunks(leading, toy).map(content)).toEqual([[], ids(0, 1)]);
  });

  it("every token carries its segment's weight; bos, eos and padding weigh 1", () => {
    const [chunk] = promptChunks([[{ text: words(0, 2), weight: 1 }, { text: words(2, 1), weight: 1.5 }, { text: words(3, 1), weight: 1 / 1.1 }]], toy);
    expect(Array.from(chunk!.weights.subarray(0, 7))).toEqual([1, 1, 1, 1.5, Math.fround(1 / 1.1), 1, 1]);
    // Weights move with their tokens when a comma breaks the chunk.
    const moved = promptChunks([[{ text: `${words(0, 70)} ,`, weight: 1 }, { text: words(70, 10), weight: 2 }]], toy);
    expect(Array.from(moved[1]!.weights.subarray(0, 12))).toEqual([1, ...new Array(10).fill(2), 1]);
  });

  it("a plain prompt of at most 75 tokens is the tokenizer's own encoding, SD 1.x's eos padding and SD 2.x's `!`", () => {
    for (const signature of [undefined, SD2_V_PREDICTION]) {
      const files = builtinModelFiles(signature);
      const text = (f: string) => new TextDecoder().decode(files.get(`tokenizer/${f}`)!);
      const tokenizer = ClipTokenizer.fromFiles({ vocab: text("vocab.json"), merges: text("merges.txt"), specialTokensMap: text("special_tokens_map.json"), tokenizerConfig: text("tokenizer_config.json") });
      for (const prompt of ["", "a red house, blue sky", Array(75).fill("red").join(" ")]) {
        const chunks = promptChunks(plain(prompt), tokenizer);
        expect(chunks).toHaveLength(1);
        expect(chunks[0]!.ids).toEqual(tokenizer.encode(prompt).ids);
      }
    }
  });
});

describe("emphasis", () => {
  it("multiplies each token's embedding by its weight, then restores the chunk's mean", () => {
    // Two tokens of width 2: [1, 2] and [3, 4], weights 1 and 2. Weighted: [1, 2, 6, 8] (sum 17);
    // the unweighted sum is 10, so everything is scaled by 10 / 17, which brings the mean back to 2.5.
    const out = emphasise(Float32Array.from([1, 2, 3, 4]), Float32Array.from([1, 2]), 2);
    expect(Array.from(out)).toEqual([10 / 17, 20 / 17, 60 / 17, 80 / 17].map(Math.fround));
    expect(out.reduce((a, b) => a + b, 0) / 4).toBeCloseTo(2.5, 6);
  });

  it("leaves an unweighted chunk exactly as the encoder gave it", () => {
    const states = Float32Array.from([0.1, -0.2, 0.3, 0.7]);
    expect(emphasise(states, Float32Array.from([1, 1]), 2)).toBe(states);
  });
});
