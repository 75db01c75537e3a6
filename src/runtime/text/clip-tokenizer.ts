/**
 * The CLIP BPE tokenizer used by Stable Diffusion text encoders, written here rather than taken
 * from a library: it is small, and what it must match is transformers' `CLIPTokenizer` (the one
 * diffusers feeds its text encoders) id for id. The conformance suite checks that on 509 prompts
 * against ids transformers produced (`../shared/conformance/tokenizer/`).
 *
 * Pipeline, as transformers' tokenizers backend builds it: normalize (NFC, whitespace runs to one
 * space, per-code-point lowercase) → special tokens split out (their `normalized` matching) → the
 * CLIP pre-tokenize regex between them → UTF-8 bytes through `bytes_to_unicode` → BPE with a `</w>` end-of-word suffix, merge ranks
 * from merges.txt (or tokenizer.json) → ids → `[bos, …, eos]` truncated to the model's maximum
 * length and right-padded with its pad id.
 *
 * Unlike openai/CLIP's `simple_tokenizer.py`, transformers neither unescapes HTML entities nor runs
 * ftfy, nor deletes control characters: neither does this.
 */

/** A model's tokenizer files: vocab.json with merges.txt, or only tokenizer.json (what current transformers saves). */
export interface TokenizerFiles {
  /** Contents of `tokenizer/vocab.json`. */
  vocab?: string;
  /** Contents of `tokenizer/merges.txt`. */
  merges?: string;
  /** Contents of `tokenizer/tokenizer.json`, used when vocab.json and merges.txt are absent. */
  tokenizerJson?: string;
  /** Contents of `tokenizer/special_tokens_map.json`, when the folder has one. */
  specialTokensMap?: string;
  /** Contents of `tokenizer/tokenizer_config.json`, when the folder has one. */
  tokenizerConfig?: string;
}

export interface Encoded {
  /** Token ids, `[bos, …, eos, pad…]`, always `maxLength` long. */
  ids: Int32Array;
  /** Tokens including bos and eos, before padding. */
  length: number;
  /** Whether content tokens were cut to fit `maxLength`. */
  truncated: boolean;
}

export const START_OF_TEXT = "<|startoftext|>";
export const END_OF_TEXT = "<|endoftext|>";
export const END_OF_WORD = "</w>";
const DEFAULT_MAX_LENGTH = 77;
/** Largest `model_max_length` taken from tokenizer_config.json; transformers writes 1e30 for "unset". */
const MAX_SANE_LENGTH = 4096;
const CACHE_LIMIT = 20_000;

/**
 * Whitespace as the Oniguruma `\s` that transformers' tokenizers use (Unicode White_Space): unlike
 * JS `\s` it includes U+0085 (NEL) and excludes U+FEFF (BOM), which stays a byte-level token.
 */
const WHITESPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WHITESPACE_RUN = new RegExp(`[${WHITESPACE}]+`, "gu");

/** The CLIP pre-tokenize pattern, applied between special tokens to normalized (lowercase) text. */
const CLIP_PATTERN = new RegExp(`'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${WHITESPACE}\\p{L}\\p{N}]+`, "gu");

let byteTable: string[] | undefined;

/**
 * GPT-2/CLIP `bytes_to_unicode`, as a list of [byte, character] in CLIP's vocabulary order: the
 * printable bytes `!`..`~`, `¡`..`¬`, `®`..`ÿ` map to themselves, the other bytes to U+0100 + n
 * in increasing order. Index i of this list is vocabulary id i (and i + 256 with `</w>`).
 */
export function bytesToUnicode(): Array<[number, string]> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++)
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  return bs.map((b, i) => [b, String.fromCharCode(cs[i]!)]);
}

/** Character for each byte value 0..255. */
function byteChars(): string[] {
  if (!byteTable) {
    byteTable = new Array<string>(256);
    for (const [b, c] of bytesToUnicode()) byteTable[b] = c;
  }
  return byteTable;
}

const utf8 = new TextEncoder();

/** The byte-level string of a piece: each UTF-8 byte as its `bytes_to_unicode` character. */
function byteEncode(piece: string): string {
  const table = byteChars();
  let out = "";
  for (const b of utf8.encode(piece)) out += table[b]!;
  return out;
}

/**
 * The CLIP normalizer of transformers' `CLIPTokenizer`: NFC, every whitespace run to one space,
 * then lowercase one code point at a time (Rust `char::to_lowercase`, so a word-final `Σ` becomes
 * `σ`, not the `ς` of JS `toLowerCase` on a whole string). Nothing is deleted: HTML entities,
 * control characters and BOMs stay and become byte-level tokens, as in transformers.
 */
export function cleanText(text: string): string {
  // Final_Sigma is the only context-dependent mapping of JS's default-locale lowercase: take it out first.
  return text.normalize("NFC").replace(WHITESPACE_RUN, " ").replace(/\u03a3/g, "\u03c3").toLowerCase();
}

function pairKey(a: string, b: string): string {
  // Byte-level tokens never contain a space (U+0020 is mapped to U+0120), so this is unambiguous.
  return a + " " + b;
}

interface HeapEntry {
  rank: number;
  pos: number;
  left: string;
  right: string;
}

function heapLess(a: HeapEntry, b: HeapEntry): boolean {
  return a.rank < b.rank || (a.rank === b.rank && a.pos < b.pos);
}

function heapPush(heap: HeapEntry[], e: HeapEntry): void {
  heap.push(e);
  let i = heap.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!heapLess(heap[i]!, heap[p]!)) break;
    [heap[i], heap[p]] = [heap[p]!, heap[i]!];
    i = p;
  }
}

function heapPop(heap: HeapEntry[]): HeapEntry {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heapLess(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && heapLess(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
  return top;
}

/**
 * Byte-pair encoding of one byte-level piece with CLIP's end-of-word suffix. Same result as the
 * openai/CLIP loop (repeatedly take the lowest-rank adjacent pair and merge all its occurrences
 * left to right), but O(n log n): a heap of candidate pairs, processed one rank at a time.
 *
 * `ranks` maps `"left right"` to the merge's rank (its index in merges.txt).
 */
export function bytePairEncode(piece: string, ranks: ReadonlyMap<string, number>): string[] {
  const n = piece.length;
  if (n === 0) return [];
  const sym: string[] = Array.from(piece);
  sym[n - 1] += END_OF_WORD;
  if (n === 1) return sym;
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const alive = new Uint8Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const heap: HeapEntry[] = [];
  const consider = (pos: number) => {
    const nx = next[pos]!;
    if (nx < 0) return;
    const rank = ranks.get(pairKey(sym[pos]!, sym[nx]!));
    if (rank !== undefined) heapPush(heap, { rank, pos, left: sym[pos]!, right: sym[nx]! });
  };
  for (let i = 0; i < n - 1; i++) consider(i);

  const touched = new Set<number>();
  while (heap.length > 0) {
    // One round: every occurrence of the lowest-rank pair, left to right. Pairs formed in the
    // round join the heap only after it, exactly like the reference loop.
    const rank = heap[0]!.rank;
    touched.clear();
    while (heap.length > 0 && heap[0]!.rank === rank) {
      const e = heapPop(heap);
      const nx = next[e.pos]!;
      if (!alive[e.pos] || nx < 0 || sym[e.pos] !== e.left || sym[nx] !== e.right) continue;
      sym[e.pos] = e.left + e.right;
      alive[nx] = 0;
      const after = next[nx]!;
      next[e.pos] = after;
      if (after >= 0) prev[after] = e.pos;
      touched.add(e.pos);
      if (prev[e.pos]! >= 0) touched.add(prev[e.pos]!);
    }
    for (const pos of touched) if (alive[pos]) consider(pos);
  }
  const out: string[] = [];
  for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
  return out;
}

interface Merges {
  ranks: Map<string, number>;
  merges: Array<[string, string]>;
}

function addMerge(out: Merges, pair: [string, string]): void {
  // Like both transformers tokenizers, a repeated pair takes the rank of its last line.
  out.ranks.set(pairKey(pair[0], pair[1]), out.merges.length);
  out.merges.push(pair);
}

/** Parses merges.txt into a rank map (`"left right"` → index). Throws naming the file and line. */
function parseMerges(text: string): Merges {
  const lines = text.split("\n");
  const out: Merges = { ranks: new Map(), merges: [] };
  let sawMerge = false;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (!sawMerge && (line.startsWith("#version") || line.trim() === "")) continue;
    if (line === "") {
      // Only trailing blank lines are allowed.
      if (lines.slice(i + 1).every((l) => l.trim() === "")) break;
      throw new Error(`merges.txt line ${i + 1}: blank line in the middle of the merges`);
    }
    const parts = line.split(" ");
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "")
      throw new Error(`merges.txt line ${i + 1}: expected two tokens separated by one space, got ${JSON.stringify(truncate(line))}`);
    sawMerge = true;
    addMerge(out, [parts[0]!, parts[1]!]);
  }
  if (out.merges.length === 0) throw new Error("merges.txt has no merges (expected a '#version' line, then one 'left right' pair per line)");
  return out;
}

function truncate(s: string, max = 60): string {
  return s.length > max ? s.slice(0, max) + "…" : s;
}

function parseJsonFile(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${name} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A vocabulary object (vocab.json, or tokenizer.json's `model.vocab`) as a token → id map. Throws naming `name`. */
function vocabFrom(name: string, json: unknown): Map<string, number> {
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw new Error(`${name} must be a JSON object mapping token strings to integer ids`);
  const vocab = new Map<string, number>();
  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(json as Record<string, unknown>)) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > 0x7fffffff)
      throw new Error(`${name}: the id of token ${JSON.stringify(truncate(token))} must be a non-negative integer, got ${truncate(JSON.stringify(id) ?? String(id))}`);
    const other = byId.get(id);
    if (other !== undefined)
      throw new Error(`${name}: tokens ${JSON.stringify(truncate(other))} and ${JSON.stringify(truncate(token))} share the id ${id}`);
    byId.set(id, token);
    vocab.set(token, id);
  }
  if (vocab.size === 0) throw new Error(`${name} is empty`);
  return vocab;
}

/** What `fromFiles` needs from whichever files the model has, with the names to put in errors. */
interface BpeModel {
  vocab: Map<string, number>;
  vocabName: string;
  mergesName: string;
  merges: Merges;
  /** Added tokens with their ids (tokenizer.json's `added_tokens`). */
  added: Array<[string, number]>;
}

function fromVocabAndMerges(vocab: string, merges: string): BpeModel {
  return { vocab: vocabFrom("vocab.json", parseJsonFile("vocab.json", vocab)), vocabName: "vocab.json", mergesName: "merges.txt", merges: parseMerges(merges), added: [] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** tokenizer.json (Hugging Face tokenizers): the BPE vocabulary and merges in `model`, the special tokens in `added_tokens`. */
function fromTokenizerJson(text: string): BpeModel {
  const json = parseJsonFile("tokenizer.json", text);
  if (!isObject(json) || !isObject(json.model)) throw new Error('tokenizer.json must be a JSON object with a "model" object');
  const model = json.model;
  if (model.type !== undefined && model.type !== "BPE")
    throw new Error(`tokenizer.json: model.type is ${JSON.stringify(model.type)}; a CLIP tokenizer is "BPE"`);
  if (model.end_of_word_suffix !== END_OF_WORD)
    throw new Error(`tokenizer.json: model.end_of_word_suffix must be ${JSON.stringify(END_OF_WORD)} for a CLIP tokenizer, got ${truncate(JSON.stringify(model.end_of_word_suffix) ?? "nothing")}`);
  const vocab = vocabFrom("tokenizer.json model.vocab", model.vocab);
  if (!Array.isArray(model.merges)) throw new Error("tokenizer.json: model.merges must be a list of merges");
  const merges: Merges = { ranks: new Map(), merges: [] };
  model.merges.forEach((m: unknown, i: number) => {
    // Older tokenizers write "left right", newer ones ["left", "right"].
    const pair = typeof m === "string" ? m.split(" ") : m;
    if (!Array.isArray(pair) || pair.length !== 2 || pair.some((p) => typeof p !== "string" || p === ""))
      throw new Error(`tokenizer.json: model.merges[${i}] must be "left right" or ["left", "right"], got ${truncate(JSON.stringify(m) ?? String(m))}`);
    addMerge(merges, [pair[0] as string, pair[1] as string]);
  });
  if (merges.merges.length === 0) throw new Error("tokenizer.json: model.merges is empty");
  const added: Array<[string, number]> = [];
  const list = json.added_tokens ?? [];
  if (!Array.isArray(list)) throw new Error("tokenizer.json: added_tokens must be a list");
  list.forEach((t: unknown, i: number) => {
    if (!isObject(t) || typeof t.content !== "string" || t.content === "" || typeof t.id !== "number" || !Number.isInteger(t.id) || t.id < 0)
      throw new Error(`tokenizer.json: added_tokens[${i}] must have a "content" string and a non-negative integer "id"`);
    added.push([t.content, t.id]);
  });
  return { vocab, vocabName: "tokenizer.json model.vocab", mergesName: "tokenizer.json model.merges", merges, added };
}

interface SpecialTokens {
  bos?: string;
  eos?: string;
  pad?: string;
  unk?: string;
  maxLength?: number;
}

/** A token entry of special_tokens_map.json / tokenizer_config.json: a string or an AddedToken object. */
function tokenField(name: string, obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "object" && !Array.isArray(v) && typeof (v as Record<string, unknown>).content === "string")
    return (v as Record<string, unknown>).content as string;
  throw new Error(`${name}: "${key}" must be a token string or an object with a "content" string`);
}

function parseSpecial(name: string, text: string): SpecialTokens & { source: Record<string, string> } {
  const json = parseJsonFile(name, text);
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new Error(`${name} must be a JSON object`);
  const obj = json as Record<string, unknown>;
  const out: SpecialTokens & { source: Record<string, string> } = { source: {} };
  for (const [key, field] of [["bos_token", "bos"], ["eos_token", "eos"], ["pad_token", "pad"], ["unk_token", "unk"]] as const) {
    const token = tokenField(name, obj, key);
    if (token !== undefined) {
      out[field] = token;
      out.source[field] = name;
    }
  }
  const m = obj.model_max_length;
  if (typeof m === "number" && Number.isInteger(m) && m >= 3 && m <= MAX_SANE_LENGTH) out.maxLength = m;
  return out;
}

interface Piece {
  tokens: readonly string[];
  /** The id of a special token (whose one token is its text, not a BPE vocabulary string). */
  special?: number;
}

export class ClipTokenizer {
  readonly maxLength: number;
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly vocabSize: number;
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly ranks: ReadonlyMap<string, number>;
  /** Added (special) tokens by their normalized text: split out of a prompt before the regex. */
  private readonly specials: ReadonlyMap<string, number>;
  private readonly specialPattern: RegExp | undefined;
  private readonly cache = new Map<string, readonly string[]>();

  private constructor(vocab: Map<string, number>, ranks: Map<string, number>, specials: Map<string, number>, bosId: number, eosId: number, padId: number, maxLength: number) {
    this.vocab = vocab;
    this.ranks = ranks;
    this.bosId = bosId;
    this.eosId = eosId;
    this.padId = padId;
    this.maxLength = maxLength;
    this.vocabSize = vocab.size;
    this.specials = specials;
    // Longest first, so that at one position the longest special token wins (leftmost-longest, as in tokenizers).
    const alternatives = [...specials.keys()].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    this.specialPattern = alternatives.length > 0 ? new RegExp(alternatives.join("|"), "gu") : undefined;
  }

  /** Builds a tokenizer from the contents of a model's `tokenizer/` files. Errors name the file at fault. */
  static fromFiles(files: TokenizerFiles): ClipTokenizer {
    const model = files.vocab !== undefined && files.merges !== undefined
      ? fromVocabAndMerges(files.vocab, files.merges)
      : files.tokenizerJson !== undefined
        ? fromTokenizerJson(files.tokenizerJson)
        : undefined;
    if (!model) throw new Error("needs vocab.json and merges.txt, or tokenizer.json");
    const { vocab, vocabName, mergesName } = model;
    for (const [b, c] of bytesToUnicode()) {
      for (const t of [c, c + END_OF_WORD])
        if (!vocab.has(t))
          throw new Error(`${vocabName} lacks the byte-level token ${JSON.stringify(t)} (byte 0x${b.toString(16).padStart(2, "0")}); it is not a CLIP byte-level BPE vocabulary`);
    }
    const { ranks, merges } = model.merges;
    for (let i = 0; i < merges.length; i++) {
      const [a, b] = merges[i]!;
      for (const part of [a, b])
        if (!vocab.has(part))
          throw new Error(`${mergesName} merge ${i + 1} (${JSON.stringify(`${a} ${b}`)}) uses ${JSON.stringify(part)}, which is not in ${vocabName}`);
      if (!vocab.has(a + b))
        throw new Error(`${mergesName} merge ${i + 1} (${JSON.stringify(`${a} ${b}`)}) makes ${JSON.stringify(a + b)}, which is not in ${vocabName}`);
    }

    // special_tokens_map.json overrides tokenizer_config.json, as when transformers loads them.
    const config = files.tokenizerConfig !== undefined ? parseSpecial("tokenizer_config.json", files.tokenizerConfig) : undefined;
    const map = files.specialTokensMap !== undefined ? parseSpecial("special_tokens_map.json", files.specialTokensMap) : undefined;
    const added = new Map(model.added);
    const pick = (field: "bos" | "eos" | "pad" | "unk"): { token: string; source: string } | undefined => {
      if (map?.[field] !== undefined) return { token: map[field], source: "special_tokens_map.json" };
      if (config?.[field] !== undefined) return { token: config[field], source: "tokenizer_config.json" };
      return undefined;
    };
    // Every special token of the files is split out of prompts, as transformers does: with an SD2/SDXL
    // `tokenizer_2`, whose pad token is "!", every literal "!" becomes the pad id 0, as in diffusers.
    const specials = new Map<string, number>();
    const special = (token: string, id: number) => {
      const key = cleanText(token);
      if (key !== "") specials.set(key, id);
    };
    for (const [token, id] of added) special(token, id);
    const idOf = (field: "bos" | "eos" | "pad" | "unk", fallback: string | undefined): number | undefined => {
      const chosen = pick(field);
      const token = chosen?.token ?? fallback;
      if (token === undefined) return undefined;
      const id = vocab.get(token) ?? added.get(token);
      if (id === undefined)
        throw new Error(chosen
          ? `${chosen.source}: ${field}_token ${JSON.stringify(token)} is not in ${vocabName}`
          : `${vocabName} lacks the ${field === "bos" ? "start" : "end"}-of-text token ${JSON.stringify(token)}`);
      special(token, id);
      return id;
    };
    const bosId = idOf("bos", START_OF_TEXT)!;
    const eosId = idOf("eos", END_OF_TEXT)!;
    const padId = idOf("pad", undefined) ?? eosId;
    idOf("unk", undefined);
    const maxLength = config?.maxLength ?? DEFAULT_MAX_LENGTH;
    return new ClipTokenizer(vocab, ranks, specials, bosId, eosId, padId, maxLength);
  }

  /** Id of a vocabulary string, if present. */
  tokenId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** The BPE pieces of a text (vocabulary strings, byte-level, `</w>` on word ends), without bos/eos or truncation. */
  tokenStrings(text: string): string[] {
    return this.pieces(cleanText(text)).flatMap((p) => p.tokens);
  }

  /** The ids of a text's tokens, without bos/eos, padding or truncation (what a prompt chunk packs). */
  contentIds(text: string): number[] {
    return this.pieces(cleanText(text)).flatMap((p) => (p.special !== undefined ? [p.special] : p.tokens.map((t) => this.idOf(t))));
  }

  /** The ids transformers' CLIPTokenizer gives with truncation to `maxLength` and padding: one chunk's worth (prompt-chunks.ts packs longer prompts). */
  encode(text: string): Encoded {
    const cleaned = cleanText(text);
    const room = this.maxLength - 2;
    const content: number[] = [];
    let truncated = false;
    for (const piece of this.pieces(cleaned, room + 1)) {
      for (const t of piece.tokens) {
        if (content.length === room) {
          truncated = true;
          break;
        }
        content.push(piece.special ?? this.idOf(t));
      }
      if (truncated) break;
    }
    const ids = new Int32Array(this.maxLength).fill(this.padId);
    ids[0] = this.bosId;
    ids.set(content, 1);
    ids[content.length + 1] = this.eosId;
    return { ids, length: content.length + 2, truncated };
  }

  private idOf(token: string): number {
    const id = this.vocab.get(token);
    // Unreachable: fromFiles checks every byte token and every merge result is in the vocabulary.
    if (id === undefined) throw new Error(`internal error: token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }

  /**
   * Pre-tokenizes and BPE-encodes the cleaned text, stopping once `limit` tokens are collected.
   * Special tokens are split out first, so `x,<|endoftext|>` is `x` `,` and the special token, and
   * the regex runs on the text between them (as transformers' added-token handling does).
   */
  private pieces(cleaned: string, limit = Infinity): Piece[] {
    const out: Piece[] = [];
    let count = 0;
    const add = (piece: Piece) => {
      out.push(piece);
      count += piece.tokens.length;
    };
    const words = (from: number, to: number) => {
      for (const m of cleaned.slice(from, to).matchAll(CLIP_PATTERN)) {
        if (count >= limit) return;
        add({ tokens: this.bpe(m[0]) });
      }
    };
    let at = 0;
    if (this.specialPattern)
      for (const m of cleaned.matchAll(this.specialPattern)) {
        words(at, m.index);
        if (count >= limit) return out;
        add({ tokens: [m[0]], special: this.specials.get(m[0])! });
        at = m.index + m[0].length;
      }
    words(at, cleaned.length);
    return out;
  }

  private bpe(piece: string): readonly string[] {
    let tokens = this.cache.get(piece);
    if (tokens === undefined) {
      tokens = bytePairEncode(byteEncode(piece), this.ranks);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(piece, tokens);
    }
    return tokens;
  }
}
