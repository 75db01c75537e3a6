/**
 * A `tokenizer/tokenizer.json` as current transformers saves a CLIP tokenizer (and nothing else:
 * no vocab.json, no merges.txt), built from vocab.json and merges.txt text.
 */
export function tokenizerJsonFrom(vocabJson: string, mergesTxt: string, specials: readonly string[] = ["<|startoftext|>", "<|endoftext|>"]): string {
  const vocab = JSON.parse(vocabJson) as Record<string, number>;
  const merges = mergesTxt.split("\n").filter((l) => l !== "" && !l.startsWith("#version")).map((l) => l.split(" "));
  return JSON.stringify({
    version: "1.0",
    added_tokens: specials.map((content) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true })),
    normalizer: { type: "Sequence", normalizers: [{ type: "NFC" }, { type: "Replace", pattern: { Regex: "\\s+" }, content: " " }, { type: "Lowercase" }] },
    model: { type: "BPE", dropout: null, unk_token: "<|endoftext|>", continuing_subword_prefix: "", end_of_word_suffix: "</w>", fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  });
}
