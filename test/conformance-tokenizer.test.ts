import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ClipTokenizer, type TokenizerFiles } from "../src/runtime/text/clip-tokenizer.js";
import { tokenizerJsonFrom } from "./helpers/tokenizer-json.js";

/**
 * The CLIP tokenizer against transformers' own ids: ../shared/conformance/tokenizer/ holds 509
 * prompts (punctuation, scripts, emoji, HTML entities, control characters, special tokens, "!"
 * runs, 160 over 77 tokens) and `CLIPTokenizer(..., padding="max_length", max_length=77,
 * truncation=True).input_ids` for the SD 1.x tokenizer (clip-ids.json, pad <|endoftext|>) and
 * SDXL's tokenizer_2 (clip2-ids.json, pad "!"). Every prompt must match exactly, read from
 * vocab.json + merges.txt and from a tokenizer.json built from them.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "../shared/conformance");
const present = existsSync(path.join(root, "tokenizer", "prompts.json"));
if (!present) console.log(`conformance-tokenizer: ${root} is absent; the transformers token-id check is skipped`);

const SETS = [
  { ids: "clip-ids.json", folder: "models/tiny-sd15/tokenizer", specials: ["<|startoftext|>", "<|endoftext|>"] },
  { ids: "clip2-ids.json", folder: "models/tiny-sdxl/tokenizer_2", specials: ["!", "<|startoftext|>", "<|endoftext|>"] },
];

describe.runIf(present)("tokenizer conformance with transformers", () => {
  const read = (file: string) => readFileSync(path.join(root, file), "utf8");
  const prompts = present ? (JSON.parse(read("tokenizer/prompts.json")) as { prompts: string[] }).prompts : [];

  it("has the 509 prompts", () => {
    expect(prompts).toHaveLength(509);
  });

  for (const set of SETS) {
    const files = (): TokenizerFiles => ({
      vocab: read(`${set.folder}/vocab.json`),
      merges: read(`${set.folder}/merges.txt`),
      specialTokensMap: read(`${set.folder}/special_tokens_map.json`),
      tokenizerConfig: read(`${set.folder}/tokenizer_config.json`),
    });
    const mismatches = (tokenizer: ClipTokenizer): string[] => {
      const expected = (JSON.parse(read(`tokenizer/${set.ids}`)) as { ids: number[][] }).ids;
      expect(expected).toHaveLength(prompts.length);
      return prompts.flatMap((p, i) => {
        const got = Array.from(tokenizer.encode(p).ids);
        return got.join() === expected[i]!.join() ? [] : [`#${i} ${JSON.stringify(p).slice(0, 80)}: got ${got.join(" ")}, transformers ${expected[i]!.join(" ")}`];
      });
    };

    it(`${set.ids}: every prompt, from vocab.json + merges.txt`, () => {
      expect(mismatches(ClipTokenizer.fromFiles(files()))).toEqual([]);
    });

    it(`${set.ids}: every prompt, from tokenizer.json alone`, () => {
      const { vocab, merges, tokenizerConfig } = files();
      expect(mismatches(ClipTokenizer.fromFiles({ tokenizerJson: tokenizerJsonFrom(vocab!, merges!, set.specials), tokenizerConfig: tokenizerConfig! }))).toEqual([]);
    });
  }
});
