import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { builtinModelFiles } from "../src/runtime/builtin/builtin-model.js";
import { memorySource } from "../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import {
  buildBpeVocabulary,
  buildTokenizerFiles,
  vocabularyFromMerges,
  writeMergesTxt,
  writeVocabJson,
} from "../src/runtime/text/bpe-vocabulary.js";
import {
  ClipTokenizer,
  END_OF_TEXT,
  START_OF_TEXT,
  bytePairEncode,
  bytesToUnicode,
  cleanText,
  type TokenizerFiles,
} from "../src/runtime/text/clip-tokenizer.js";
import { tokenizerJsonFrom } from "./helpers/tokenizer-json.js";

const WORDS = [
  "a", "the", "on", "in", "of", "with", "and", "house", "countryside", "road", "red", "blue", "dark",
  "green", "tree", "trees", "forest", "river", "mountain", "sky", "cloudy", "sunset", "photo",
  "painting", "castle", "bridge", "stone", "old", "small", "field", "lake", "night",
];

const FILES = buildTokenizerFiles(WORDS);
const tok = ClipTokenizer.fromFiles(FILES);
const BOS = tok.bosId;
const EOS = tok.eosId;

function id(token: string, t: ClipTokenizer = tok): number {
  const v = t.tokenId(token);
  if (v === undefined) throw new Error(`no token ${token}`);
  return v;
}

function content(text: string, t: ClipTokenizer = tok): number[] {
  const e = t.encode(text);
  return Array.from(e.ids.subarray(1, e.length - 1));
}

/** openai/CLIP `SimpleTokenizer.bpe`, ported line by line: the oracle for `bytePairEncode`. */
function referenceBpe(token: string, ranks: ReadonlyMap<string, number>): string[] {
  const chars = Array.from(token);
  let word = [...chars.slice(0, -1), chars[chars.length - 1] + "</w>"];
  if (word.length === 1) return word;
  for (;;) {
    let best: [string, string] | undefined;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < word.length; i++) {
      const r = ranks.get(`${word[i]} ${word[i + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = [word[i]!, word[i + 1]!];
      }
    }
    if (!best) break;
    const [first, second] = best;
    const next: string[] = [];
    let i = 0;
    while (i < word.length) {
      const j = word.indexOf(first, i);
      if (j < 0) {
        next.push(...word.slice(i));
        break;
      }
      next.push(...word.slice(i, j));
      i = j;
      if (word[i] === first && i < word.length - 1 && word[i + 1] === second) {
        next.push(first + second);
        i += 2;
      } else {
        next.push(word[i]!);
        i += 1;
      }
    }
    word = next;
    if (word.length === 1) break;
  }
  return word;
}

function ranksOf(merges: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  merges.forEach((line, i) => m.set(line, i));
  return m;
}

/** Tokenizer over a hand-written merge list, its vocabulary derived by `vocabularyFromMerges`. */
function handTokenizer(merges: string[], extra: Partial<TokenizerFiles> = {}): ClipTokenizer {
  return ClipTokenizer.fromFiles({ vocab: writeVocabJson(vocabularyFromMerges(merges)), merges: writeMergesTxt(merges), ...extra });
}

const byteOfChar = new Map(bytesToUnicode().map(([b, c]) => [c, b]));

/** The UTF-8 bytes a token list spells, `</w>` dropped (inverse of the byte-level mapping). */
function bytesOf(tokens: readonly string[]): Buffer {
  const out: number[] = [];
  for (const t of tokens) {
    if (t === START_OF_TEXT || t === END_OF_TEXT) {
      out.push(...Buffer.from(t, "utf8"));
      continue;
    }
    for (const c of Array.from(t.endsWith("</w>") ? t.slice(0, -4) : t)) out.push(byteOfChar.get(c)!);
  }
  return Buffer.from(out);
}

describe("buildBpeVocabulary", () => {
  const built = buildBpeVocabulary(WORDS);

  it("lays out ids like CLIP: bytes, bytes</w>, merges, then the two special tokens", () => {
    const ids = Object.values(built.vocab).sort((a, b) => a - b);
    expect(ids).toEqual(ids.map((_, i) => i));
    const table = bytesToUnicode();
    table.forEach(([, c], i) => {
      expect(built.vocab[c]).toBe(i);
      expect(built.vocab[c + "</w>"]).toBe(256 + i);
    });
    // Ids shared with the real CLIP vocabulary (reference §2).
    expect(built.vocab["!"]).toBe(0);
    expect(built.vocab["!</w>"]).toBe(256);
    expect(built.vocab["a</w>"]).toBe(320);
    expect(built.vocab[",</w>"]).toBe(267);
    expect(built.vocab["Ā"]).toBe(188); // byte 0x00
    expect(built.vocab["Ġ"]).toBe(188 + 32); // byte 0x20 (space)
    const n = ids.length;
    expect(built.vocab[START_OF_TEXT]).toBe(n - 2);
    expect(built.vocab[END_OF_TEXT]).toBe(n - 1);
    for (const w of WORDS) if (w.length > 1) expect(built.vocab[w + "</w>"]).toBeGreaterThanOrEqual(512);
  });

  it("is deterministic for the same set of words", () => {
    const shuffled = [...WORDS].reverse().concat(["house", "red"]);
    expect(buildBpeVocabulary(shuffled)).toEqual(built);
    expect(writeVocabJson(buildBpeVocabulary(shuffled).vocab)).toBe(writeVocabJson(built.vocab));
  });

  it("writes merges.txt with a version header and vocab.json in id order", () => {
    const text = writeMergesTxt(built.merges);
    expect(text.split("\n")[0]).toBe("#version: 0.2");
    expect(text.split("\n").slice(1, -1)).toEqual(built.merges);
    for (const line of built.merges) expect(line).toMatch(/^\S+ \S+$/);
    const json = writeVocabJson(built.vocab);
    expect(JSON.parse(json)).toEqual(built.vocab);
    expect(json.startsWith('{"!":0,"\\"":1,')).toBe(true);
  });

  it("rejects words the CLIP pre-tokenizer would not keep as one lowercase piece", () => {
    for (const bad of ["House", "sky-blue", "", "café", "a b", "x1"])
      expect(() => buildBpeVocabulary(["red", bad])).toThrow(/lowercase ASCII letters/);
  });

  it("makes every word of any word list exactly one token (property)", () => {
    const word = fc.oneof(
      fc.string({ unit: fc.constantFrom("a", "b", "c"), minLength: 1, maxLength: 10 }),
      fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz"), minLength: 1, maxLength: 14 }),
    );
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 40 }), (words) => {
        const { vocab, merges } = buildBpeVocabulary(words);
        const ranks = ranksOf(merges);
        for (const w of words) {
          expect(referenceBpe(w, ranks)).toEqual([w + "</w>"]);
          expect(vocab[w + "</w>"]).toBeDefined();
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("bytePairEncode", () => {
  it("matches the openai/CLIP merge loop on arbitrary (even inconsistent) merge tables", () => {
    const piece = fc.string({ unit: fc.constantFrom("a", "b", "c"), minLength: 1, maxLength: 3 });
    const merge = fc.tuple(piece, piece, fc.boolean()).map(([l, r, end]) => `${l} ${r}${end ? "</w>" : ""}`);
    fc.assert(
      fc.property(
        fc.array(merge, { maxLength: 40 }),
        fc.array(fc.string({ unit: fc.constantFrom("a", "b", "c"), minLength: 1, maxLength: 16 }), { minLength: 1, maxLength: 10 }),
        (merges, words) => {
          const ranks = ranksOf(merges);
          for (const w of words) expect(bytePairEncode(w, ranks)).toEqual(referenceBpe(w, ranks));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("stays fast on a very long piece", () => {
    const letters = "abcdefghijklmnopqrstuvwxyz";
    let s = "";
    for (let i = 0; i < 50_000; i++) s += letters[(i * 7919 + (i >> 3)) % 26];
    const t0 = performance.now();
    const tokens = tok.tokenStrings(s);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(tokens.join("").replace("</w>", "")).toBe(s);
  });
});

describe("hand-derived BPE with competing ranks", () => {
  // "banana" starts as [b, a, n, a, n, a</w>].
  it("rank 0 'a n' merges both occurrences first, then 'b an' (2) beats 'an an' (3)", () => {
    // (a,n)→[b,an,an,a</w>]; pairs (b,an)=2, (an,an)=3, (an,a</w>)=4 → [ban,an,a</w>];
    // (ban,an) is no merge, (an,a</w>)=4 → [ban, ana</w>]. 'n a</w>' (1) never gets a chance.
    const merges = ["a n", "n a</w>", "b an", "an an", "an a</w>"];
    const t = handTokenizer(merges);
    expect(t.tokenStrings("banana")).toEqual(["ban", "ana</w>"]);
    const vocab = vocabularyFromMerges(merges);
    expect(vocab.ban).toBe(514);
    expect(vocab["ana</w>"]).toBe(516);
    expect(content("banana", t)).toEqual([514, 516]);
    expect(t.encode("banana").ids.subarray(0, 5)).toEqual(Int32Array.from([t.bosId, 514, 516, t.eosId, t.eosId]));
  });

  it("swapping the first two ranks changes the result", () => {
    // (n,a</w>)=0 → [b,a,n,a,na</w>]; (a,n)=1 once → [b,an,a,na</w>]; (b,an)=2 → [ban,a,na</w>];
    // neither (ban,a) nor (a,na</w>) is a merge.
    const t = handTokenizer(["n a</w>", "a n", "b an", "an an", "an a</w>"]);
    expect(t.tokenStrings("banana")).toEqual(["ban", "a", "na</w>"]);
  });

  it("merges repeated pairs left to right without overlap", () => {
    const t = handTokenizer(["a a", "aa a</w>", "aa aa"]);
    // [a,a,a</w>] → (a,a) at 0 → [aa, a</w>] → [aaa</w>]
    expect(t.tokenStrings("aaa")).toEqual(["aaa</w>"]);
    // [a,a,a,a</w>] → [aa, a, a</w>]: the third a pairs with a</w>, which is no merge.
    expect(t.tokenStrings("aaaa")).toEqual(["aa", "a", "a</w>"]);
    // [a,a,a,a,a</w>] → [aa, aa, a</w>] → (aa,aa)=2 loses to (aa,a</w>)=1 → [aa, aaa</w>]
    expect(t.tokenStrings("aaaaa")).toEqual(["aa", "aaa</w>"]);
  });
});

describe("ClipTokenizer.encode", () => {
  it("encodes each vocabulary word to [bos, word, eos, pad…]", () => {
    expect(tok.maxLength).toBe(77);
    expect(tok.padId).toBe(EOS);
    for (const w of WORDS) {
      const e = tok.encode(w);
      expect(e.length).toBe(3);
      expect(e.truncated).toBe(false);
      const expected = new Int32Array(77).fill(EOS);
      expected[0] = BOS;
      expected[1] = id(w + "</w>");
      expect(e.ids).toEqual(expected);
    }
  });

  it("encodes a sentence word by word", () => {
    const e = tok.encode("a red house on the countryside road with old trees");
    expect(e.length).toBe(12);
    expect(Array.from(e.ids.subarray(0, 13))).toEqual([
      BOS, 320, id("red</w>"), id("house</w>"), id("on</w>"), id("the</w>"), id("countryside</w>"),
      id("road</w>"), id("with</w>"), id("old</w>"), id("trees</w>"), EOS, EOS,
    ]);
  });

  it("encodes the empty prompt to [bos, eos]", () => {
    for (const text of ["", "   \n\t "]) {
      const e = tok.encode(text);
      expect(e.length).toBe(2);
      expect(Array.from(e.ids.subarray(0, 3))).toEqual([BOS, EOS, EOS]);
    }
  });

  it("normalizes case, whitespace and NFC", () => {
    const plain = content("a red house");
    expect(content("  A   RED\tHouse\n")).toEqual(plain);
    expect(content("a\u00a0red\u2003house")).toEqual(plain);
    expect(content("cafe\u0301")).toEqual(content("caf\u00e9"));
    expect(content("CAFÉ")).toEqual(content("café"));
    expect(cleanText("  Caf\u0065\u0301\t\tTEA ")).toBe(" café tea ");
  });

  // The differences from openai/CLIP's cleanup that made ~26 % of the conformance prompts differ from transformers.
  it("keeps HTML entities as written, as transformers does", () => {
    expect(cleanText("&amp;amp; &lt;3 &#33;")).toBe("&amp;amp; &lt;3 &#33;");
    expect(tok.tokenStrings("red &amp; blue")).toEqual(["red</w>", "&</w>", ...tok.tokenStrings("amp"), ";</w>", "blue</w>"]);
    expect(bytesOf(tok.tokenStrings("&amp;amp;")).toString("utf8")).toBe("&amp;amp;");
  });

  it("keeps control characters and the BOM as byte-level tokens between words", () => {
    const char = (b: number) => bytesToUnicode().find(([byte]) => byte === b)![1];
    expect(tok.tokenStrings("red\u007fhouse")).toEqual(["red</w>", char(0x7f) + "</w>", "house</w>"]);
    expect(tok.tokenStrings("red\u0001house")).toEqual(["red</w>", char(0x01) + "</w>", "house</w>"]);
    expect(bytesOf(tok.tokenStrings("red\ufeffhouse")).toString("utf8")).toBe("red\ufeffhouse");
    expect(tok.tokenStrings("red\ufeffhouse")).toHaveLength(5);
  });

  it("treats U+0085 (NEL) as whitespace", () => {
    expect(content("red\u0085house")).toEqual(content("red house"));
    expect(cleanText("a\u0085\u0085b")).toBe("a b");
  });

  it("lowercases one code point at a time: a word-final Σ is σ, not ς", () => {
    expect(cleanText("ΟΔΟΣ")).toBe("οδοσ");
    expect(cleanText("ΣΟΦΟΣ σοφος")).toBe("σοφοσ σοφος");
  });

  it("splits special tokens out before the regex, even glued to punctuation or emoji", () => {
    expect(content("red,<|endoftext|>")).toEqual([id("red</w>"), id(",</w>"), EOS]);
    expect(content("🙂<|startoftext|>house")).toEqual([...content("🙂"), BOS, id("house</w>")]);
    expect(content("house<|endoftext|><|startoftext|>")).toEqual([id("house</w>"), EOS, BOS]);
  });

  it("splits numbers into single digits (ids shared with real CLIP)", () => {
    expect(tok.tokenStrings("2024")).toEqual(["2</w>", "0</w>", "2</w>", "4</w>"]);
    expect(content("2024")).toEqual([273, 271, 273, 275]);
    // Reference vector "A  Photo, of  CAT!!! 2024": CLIP has '!!!</w>'=995; ours spells it in bytes.
    expect(content("A  Photo, of  CAT!!! 2024")).toEqual([
      320, id("photo</w>"), 267, id("of</w>"), ...content("cat"), 0, 0, 256, 273, 271, 273, 275,
    ]);
  });

  it("splits punctuation from words and keeps runs of it together", () => {
    expect(tok.tokenStrings("red, blue.")).toEqual(["red</w>", ",</w>", "blue</w>", ".</w>"]);
    expect(tok.tokenStrings("(dark) house!!")).toEqual(["(</w>", "dark</w>", ")</w>", "house</w>", "!", "!</w>"]);
    expect(tok.tokenStrings("sky...")).toEqual(["sky</w>", ".", ".", ".</w>"]);
  });

  it("splits 's and other contractions", () => {
    expect(tok.tokenStrings("The HOUSE'S road")).toEqual(["the</w>", "house</w>", "'", "s</w>", "road</w>"]);
    expect(tok.tokenStrings("house's")).toEqual(tok.tokenStrings("house 's"));
    for (const c of ["'t", "'re", "'ve", "'m", "'ll", "'d"]) {
      const pieces = tok.tokenStrings(`red${c}`);
      expect(pieces[0]).toBe("red</w>");
      expect(pieces.slice(1).join("")).toBe(c + "</w>");
    }
    // Not a contraction: the apostrophe stands alone.
    expect(tok.tokenStrings("house'x")).toEqual(["house</w>", "'</w>", "x</w>"]);
  });

  it("falls back to byte-level tokens for unknown words", () => {
    const pieces = tok.tokenStrings("zebra");
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe("zebra</w>");
    for (const p of pieces) expect(tok.tokenId(p)).toBeDefined();
    expect(tok.tokenStrings("日本")).toEqual(["æ", "Ĺ", "¥", "æ", "ľ", "¬</w>"]);
    expect(bytesOf(tok.tokenStrings("日本 🙂")).toString("utf8")).toBe("日本🙂");
  });

  it("turns the literal special tokens into their ids, like both reference tokenizers", () => {
    expect(content("red <|endoftext|> blue")).toEqual([id("red</w>"), EOS, id("blue</w>")]);
    expect(content("<|STARTOFTEXT|>")).toEqual([BOS]);
  });

  it("truncates to 75 content tokens then eos", () => {
    const fits = tok.encode(Array(75).fill("red").join(" "));
    expect(fits.length).toBe(77);
    expect(fits.truncated).toBe(false);
    expect(fits.ids[76]).toBe(EOS);

    const long = tok.encode(`${Array(75).fill("red").join(" ")} Blue  house, road`);
    expect(long.truncated).toBe(true);
    expect(long.length).toBe(77);
    expect(Array.from(long.ids.subarray(1, 76))).toEqual(Array(75).fill(id("red</w>")));
    expect(long.ids[0]).toBe(BOS);
    expect(long.ids[76]).toBe(EOS);

    // A word cut in the middle keeps its first pieces.
    const zebra = tok.tokenStrings("zebra").length;
    const cut = tok.encode(`${Array(74).fill("red").join(" ")} zebra blue`);
    expect(zebra).toBeGreaterThan(1);
    expect(cut.truncated).toBe(true);
    expect(cut.ids[75]).toBe(id(tok.tokenStrings("zebra")[0]!));
  });

  it("never throws and keeps its invariants on any input (property)", () => {
    const valid = tok.vocabSize;
    const mixed = fc
      .array(fc.constantFrom("house", "RED", " ", "\t", "\n", "<|endoftext|>", "'s", "!!", "&amp;", "&#0;", "é", "e\u0301", "2024", "🙂", "\ud800", "\u0345", "ﬀ", "İ"), { maxLength: 120 })
      .map((parts) => parts.join(""));
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.string({ unit: "grapheme", maxLength: 100 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
      mixed,
    );
    fc.assert(
      fc.property(text, (s) => {
        const e = tok.encode(s);
        expect(e.ids.length).toBe(77);
        expect(e.length).toBeGreaterThanOrEqual(2);
        expect(e.length).toBeLessThanOrEqual(77);
        expect(e.ids[0]).toBe(BOS);
        expect(e.ids[e.length - 1]).toBe(EOS);
        for (let i = e.length; i < 77; i++) expect(e.ids[i]).toBe(tok.padId);
        for (const v of e.ids) expect(v >= 0 && v < valid).toBe(true);
        const pieces = tok.tokenStrings(s);
        expect(e.truncated).toBe(pieces.length > 75);
        if (!e.truncated) expect(Array.from(e.ids.subarray(1, e.length - 1))).toEqual(pieces.map((p) => id(p)));
        // Nothing but whitespace is lost: the tokens spell the cleaned text's bytes.
        expect(bytesOf(pieces).equals(Buffer.from(cleanText(s).replace(/ /g, ""), "utf8"))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("special tokens and configuration", () => {
  it("pads with eos by default and with the pad token from special_tokens_map.json", () => {
    expect(tok.padId).toBe(EOS);
    const sd2 = ClipTokenizer.fromFiles({ ...FILES, specialTokensMap: JSON.stringify({ pad_token: "!" }) });
    expect(sd2.padId).toBe(0);
    const e = sd2.encode("red house");
    expect(Array.from(e.ids.subarray(0, 6))).toEqual([BOS, id("red</w>"), id("house</w>"), EOS, 0, 0]);
    const sd1 = ClipTokenizer.fromFiles({ ...FILES, specialTokensMap: JSON.stringify({ pad_token: "<|endoftext|>" }) });
    expect(sd1.padId).toBe(EOS);
  });

  it("with pad token \"!\" (SD2 / SDXL tokenizer_2), turns every literal \"!\" into the pad id, as transformers does", () => {
    const sd2 = ClipTokenizer.fromFiles({ ...FILES, specialTokensMap: JSON.stringify({ pad_token: "!" }) });
    expect(content("house!!", sd2)).toEqual([id("house</w>"), 0, 0]);
    expect(content("house!!")).toEqual([id("house</w>"), id("!"), id("!</w>")]);
  });

  it("reads SD2.1-style files: AddedToken objects, special_tokens_map overriding tokenizer_config", () => {
    const added = (content: string) => ({ __type: "AddedToken", content, lstrip: false, normalized: true, rstrip: false, single_word: false });
    const tokenizerConfig = JSON.stringify({
      add_prefix_space: false, bos_token: added(START_OF_TEXT), do_lower_case: true, eos_token: added(END_OF_TEXT),
      errors: "replace", model_max_length: 77, pad_token: "<|endoftext|>", tokenizer_class: "CLIPTokenizer", unk_token: added(END_OF_TEXT),
    });
    const specialTokensMap = JSON.stringify({ bos_token: added(START_OF_TEXT), eos_token: added(END_OF_TEXT), pad_token: "!", unk_token: added(END_OF_TEXT) });
    const t = ClipTokenizer.fromFiles({ ...FILES, tokenizerConfig, specialTokensMap });
    expect([t.bosId, t.eosId, t.padId, t.maxLength]).toEqual([BOS, EOS, 0, 77]);
    const configOnly = ClipTokenizer.fromFiles({ ...FILES, tokenizerConfig: JSON.stringify({ pad_token: "!" }) });
    expect(configOnly.padId).toBe(0);
  });

  it("takes model_max_length from tokenizer_config.json when it is sane", () => {
    const withLength = (m: unknown) => ClipTokenizer.fromFiles({ ...FILES, tokenizerConfig: JSON.stringify({ model_max_length: m }) });
    expect(withLength(77).maxLength).toBe(77);
    expect(withLength(1e30).maxLength).toBe(77); // transformers' "unset" sentinel
    expect(withLength(1).maxLength).toBe(77);
    expect(withLength("77").maxLength).toBe(77);
    const short = withLength(8);
    expect(short.maxLength).toBe(8);
    const e = short.encode("a red house on the countryside road with old trees");
    expect(e.ids.length).toBe(8);
    expect(e.truncated).toBe(true);
    expect(Array.from(e.ids)).toEqual([BOS, 320, id("red</w>"), id("house</w>"), id("on</w>"), id("the</w>"), id("countryside</w>"), EOS]);
  });

  it("honours any number of merges (not only CLIP's 48,894)", () => {
    const chars = bytesToUnicode().map(([, c]) => c);
    const merges: string[] = [];
    for (const a of chars) {
      for (const b of chars) {
        if (merges.length === 49_000) break;
        merges.push(`${a} ${b}`);
      }
    }
    merges.push("q z</w>");
    const t = handTokenizer(merges);
    expect(t.tokenStrings("qz")).toEqual(["qz</w>"]);
    expect(t.eosId).toBe(512 + 49_001 + 1);
  });
});

describe("malformed tokenizer files", () => {
  const vocab = JSON.parse(FILES.vocab) as Record<string, number>;
  const withVocab = (v: unknown) => () => ClipTokenizer.fromFiles({ ...FILES, vocab: typeof v === "string" ? v : JSON.stringify(v) });
  const withMerges = (m: string) => () => ClipTokenizer.fromFiles({ ...FILES, merges: m });

  it("names vocab.json and the problem", () => {
    expect(withVocab("{not json")).toThrow(/^vocab\.json is not valid JSON/);
    expect(withVocab([1, 2])).toThrow(/^vocab\.json must be a JSON object/);
    expect(withVocab({})).toThrow(/^vocab\.json is empty/);
    expect(withVocab({ ...vocab, "red</w>": 1.5 })).toThrow(/^vocab\.json: the id of token "red<\/w>" must be a non-negative integer, got 1\.5/);
    expect(withVocab({ ...vocab, "red</w>": "7" })).toThrow(/non-negative integer, got "7"/);
    expect(withVocab({ ...vocab, "red</w>": 0 })).toThrow(/^vocab\.json: tokens "!" and "red<\/w>" share the id 0/);
    const noByte = { ...vocab };
    delete noByte["Ā</w>"];
    expect(withVocab(noByte)).toThrow(/^vocab\.json lacks the byte-level token "Ā<\/w>" \(byte 0x00\)/);
    const noEos = { ...vocab };
    delete noEos[END_OF_TEXT];
    expect(withVocab(noEos)).toThrow(/^vocab\.json lacks the end-of-text token "<\|endoftext\|>"/);
  });

  it("names merges.txt, the line and the problem", () => {
    expect(withMerges("")).toThrow(/^merges\.txt has no merges/);
    expect(withMerges("#version: 0.2\n")).toThrow(/^merges\.txt has no merges/);
    expect(withMerges("#version: 0.2\nr e\nred\n")).toThrow(/^merges\.txt line 3: expected two tokens separated by one space, got "red"/);
    expect(withMerges("#version: 0.2\nr e\na b c\n")).toThrow(/^merges\.txt line 3/);
    expect(withMerges("#version: 0.2\nr e\n\nh o\n")).toThrow(/^merges\.txt line 3: blank line/);
    expect(withMerges("#version: 0.2\nr ed\n")).toThrow(/^merges\.txt merge 1 \("r ed"\) uses "ed", which is not in vocab\.json/);
    expect(withMerges("#version: 0.2\nq x\n")).toThrow(/^merges\.txt merge 1 \("q x"\) makes "qx", which is not in vocab\.json/);
    // CRLF line ends, no header, trailing blank lines are fine.
    expect(() => ClipTokenizer.fromFiles({ ...FILES, merges: FILES.merges.replace(/\n/g, "\r\n") + "\r\n" })).not.toThrow();
    expect(() => ClipTokenizer.fromFiles({ ...FILES, merges: FILES.merges.split("\n").slice(1).join("\n") })).not.toThrow();
  });

  it("names special_tokens_map.json / tokenizer_config.json", () => {
    expect(() => ClipTokenizer.fromFiles({ ...FILES, specialTokensMap: "{" })).toThrow(/^special_tokens_map\.json is not valid JSON/);
    expect(() => ClipTokenizer.fromFiles({ ...FILES, specialTokensMap: "[]" })).toThrow(/^special_tokens_map\.json must be a JSON object/);
    expect(() => ClipTokenizer.fromFiles({ ...FILES, specialTokensMap: JSON.stringify({ pad_token: "<|pad|>" }) })).toThrow(
      /^special_tokens_map\.json: pad_token "<\|pad\|>" is not in vocab\.json/,
    );
    expect(() => ClipTokenizer.fromFiles({ ...FILES, tokenizerConfig: JSON.stringify({ pad_token: 3 }) })).toThrow(
      /^tokenizer_config\.json: "pad_token" must be a token string/,
    );
    expect(() => ClipTokenizer.fromFiles({ ...FILES, tokenizerConfig: JSON.stringify({ pad_token: null, eos_token: "nope" }) })).toThrow(
      /^tokenizer_config\.json: eos_token "nope" is not in vocab\.json/,
    );
  });
});

describe("tokenizer.json alone (what current transformers saves)", () => {
  const json = tokenizerJsonFrom(FILES.vocab, FILES.merges);
  const withJson = (edit: (t: Record<string, unknown>) => void) => () => {
    const t = JSON.parse(json) as Record<string, unknown>;
    edit(t);
    return ClipTokenizer.fromFiles({ tokenizerJson: JSON.stringify(t) });
  };
  const model = (t: Record<string, unknown>) => t.model as Record<string, unknown>;

  it("gives the same ids as vocab.json + merges.txt, with merges as pairs or as \"left right\" strings", () => {
    const prompts = ["a red house on the countryside road", "RED, <|endoftext|> zebra 2024 🙂", "house!! &amp;"];
    const fromJson = ClipTokenizer.fromFiles({ tokenizerJson: json });
    const fromStrings = withJson((t) => (model(t).merges = (model(t).merges as string[][]).map((m) => m.join(" "))))();
    for (const p of prompts) {
      expect(fromJson.encode(p)).toEqual(tok.encode(p));
      expect(fromStrings.encode(p)).toEqual(tok.encode(p));
    }
    expect([fromJson.bosId, fromJson.eosId, fromJson.padId]).toEqual([BOS, EOS, EOS]);
  });

  it("names tokenizer.json and the problem", () => {
    expect(() => ClipTokenizer.fromFiles({})).toThrow(/^needs vocab\.json and merges\.txt, or tokenizer\.json/);
    expect(() => ClipTokenizer.fromFiles({ tokenizerJson: "{" })).toThrow(/^tokenizer\.json is not valid JSON/);
    expect(withJson((t) => delete t.model)).toThrow(/^tokenizer\.json must be a JSON object with a "model" object/);
    expect(withJson((t) => (model(t).type = "WordPiece"))).toThrow(/^tokenizer\.json: model\.type is "WordPiece"; a CLIP tokenizer is "BPE"/);
    expect(withJson((t) => (model(t).end_of_word_suffix = null))).toThrow(/end_of_word_suffix must be "<\/w>"/);
    expect(withJson((t) => (model(t).merges = [["r", "e", "d"]]))).toThrow(/^tokenizer\.json: model\.merges\[0\] must be "left right" or \["left", "right"\]/);
    expect(withJson((t) => (model(t).merges = []))).toThrow(/^tokenizer\.json: model\.merges is empty/);
    expect(withJson((t) => (model(t).merges = [["q", "x"]]))).toThrow(/^tokenizer\.json model\.merges merge 1 \("q x"\) makes "qx", which is not in tokenizer\.json model\.vocab/);
    expect(withJson((t) => (t.added_tokens = [{ content: "<|x|>" }]))).toThrow(/^tokenizer\.json: added_tokens\[0\] must have a "content" string/);
  });

  it("loads a model folder whose tokenizer/ has only tokenizer.json", async () => {
    const files = builtinModelFiles();
    const text = (f: string) => new TextDecoder().decode(files.get(f)!);
    const reference = ClipTokenizer.fromFiles({ vocab: text("tokenizer/vocab.json"), merges: text("tokenizer/merges.txt") });
    files.set("tokenizer/tokenizer.json", new TextEncoder().encode(tokenizerJsonFrom(text("tokenizer/vocab.json"), text("tokenizer/merges.txt"))));
    files.delete("tokenizer/vocab.json");
    files.delete("tokenizer/merges.txt");
    const loaded = await OnnxDiffusionModel.load(memorySource("the test model", files), { device: "cpu" });
    try {
      for (const p of ["a red house", "blue sky!!, <|endoftext|>"]) expect(loaded.tokenChunks({ text: p })[0]!.ids).toEqual(reference.encode(p).ids);
    } finally {
      await loaded.release();
    }
    files.delete("tokenizer/tokenizer.json");
    await expect(OnnxDiffusionModel.load(memorySource("the test model", files), { device: "cpu" })).rejects.toThrow(
      /^the test model: missing tokenizer\/vocab\.json \(or tokenizer\/tokenizer\.json\)/,
    );
  });
});
