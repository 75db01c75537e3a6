import { END_OF_TEXT, END_OF_WORD, START_OF_TEXT, bytePairEncode, bytesToUnicode } from "./clip-tokenizer.js";

/**
 * Small CLIP-compatible vocabularies for the project's built-in model: the same byte-level base
 * (ids 0..255 the `bytes_to_unicode` characters in CLIP's order, 256..511 the same with `</w>`),
 * then the merge results, then `<|startoftext|>` and `<|endoftext|>` as the last two ids, like
 * CLIP's 49,408-entry vocabulary. Byte and digit ids therefore equal real CLIP's.
 */

export interface BpeVocabulary {
  vocab: Record<string, number>;
  /** Merges in rank order, each `"left right"` as one merges.txt line. */
  merges: string[];
}

function pairKey(a: string, b: string): string {
  return a + " " + b;
}

/** The 512 byte-level base tokens in id order. */
function baseTokens(): string[] {
  const chars = bytesToUnicode().map(([, c]) => c);
  return [...chars, ...chars.map((c) => c + END_OF_WORD)];
}

/**
 * A vocabulary for a list of merges (`"left right"` lines): the 512 base tokens, each merge result
 * the first time it appears, then the two special tokens.
 */
export function vocabularyFromMerges(merges: readonly string[]): Record<string, number> {
  const vocab: Record<string, number> = Object.create(null) as Record<string, number>;
  let next = 0;
  const add = (t: string) => {
    if (!(t in vocab)) vocab[t] = next++;
  };
  for (const t of baseTokens()) add(t);
  for (const line of merges) {
    const parts = line.split(" ");
    if (parts.length !== 2) throw new Error(`merge ${JSON.stringify(line)} is not two tokens separated by one space`);
    add(parts[0]! + parts[1]!);
  }
  add(START_OF_TEXT);
  add(END_OF_TEXT);
  // A plain object (with a normal prototype) so it serializes and compares like parsed JSON.
  return { ...vocab };
}

/**
 * Builds merges so that each word (lowercase ASCII letters, which the CLIP pre-tokenizer keeps as
 * one piece) encodes to the single token `word</w>` under standard BPE. Words are deduplicated and
 * sorted, so the output depends only on the set of words.
 *
 * Construction: for each word, run BPE with the merges so far; while it yields more than one
 * token, append the merge of its first two tokens. An appended merge has the highest rank, so it
 * never changes how an earlier word is encoded (that word always had a lower-rank pair to merge
 * until it became one token), and each appended merge strictly shortens the current word.
 */
export function buildBpeVocabulary(words: readonly string[]): BpeVocabulary {
  for (const w of words)
    if (!/^[a-z]+$/.test(w))
      throw new Error(`cannot build a vocabulary entry for ${JSON.stringify(w)}: words must be non-empty lowercase ASCII letters (a-z)`);
  const sorted = [...new Set(words)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ranks = new Map<string, number>();
  const merges: string[] = [];
  for (const word of sorted) {
    // Lowercase ASCII letters are their own byte-level characters.
    for (let tokens = bytePairEncode(word, ranks); tokens.length > 1; tokens = bytePairEncode(word, ranks)) {
      const key = pairKey(tokens[0]!, tokens[1]!);
      if (ranks.has(key)) throw new Error(`internal error: BPE left the known pair ${JSON.stringify(key)} unmerged`);
      ranks.set(key, merges.length);
      merges.push(key);
    }
  }
  for (const word of sorted) {
    const tokens = bytePairEncode(word, ranks);
    if (tokens.length !== 1 || tokens[0] !== word + END_OF_WORD)
      throw new Error(`internal error: ${JSON.stringify(word)} encodes to ${JSON.stringify(tokens)}`);
  }
  return { vocab: vocabularyFromMerges(merges), merges };
}

/** merges.txt text: the `#version: 0.2` header, then one `left right` pair per line. */
export function writeMergesTxt(merges: readonly string[]): string {
  return ["#version: 0.2", ...merges].join("\n") + "\n";
}

/** vocab.json text, entries in id order (compact, like the files transformers writes). */
export function writeVocabJson(vocab: Record<string, number>): string {
  // Written by hand: a JS object would list integer-like keys ("0".."9") first.
  const ordered = Object.entries(vocab).sort((a, b) => a[1] - b[1]);
  return "{" + ordered.map(([token, id]) => `${JSON.stringify(token)}:${id}`).join(",") + "}";
}

/** The tokenizer file contents for a word list, ready for `ClipTokenizer.fromFiles`. */
export function buildTokenizerFiles(words: readonly string[]): { vocab: string; merges: string } {
  const { vocab, merges } = buildBpeVocabulary(words);
  return { vocab: writeVocabJson(vocab), merges: writeMergesTxt(merges) };
}
