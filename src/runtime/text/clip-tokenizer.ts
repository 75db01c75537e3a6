/**
 * The CLIP BPE tokenizer used by Stable Diffusion text encoders, written here rather than taken
 * from a library: it is small, it must match openai/CLIP `simple_tokenizer.py` and transformers'
 * `CLIPTokenizer` id for id, and no real CLIP vocabulary can be fetched on the build machines, so
 * a library could not be checked against one anyway. The tests pin the algorithm with hand-derived
 * cases, an independent reference port of the OpenAI merge loop, and the byte-level ids that real
 * CLIP vocabularies share with the ones `bpe-vocabulary.ts` builds.
 *
 * Pipeline: cleanup (HTML entities, NFC, control characters, whitespace collapse, trim, lowercase)
 * → the CLIP pre-tokenize regex → UTF-8 bytes through `bytes_to_unicode` → BPE with a `</w>`
 * end-of-word suffix, merge ranks from merges.txt → ids → `[bos, …, eos]` truncated to the
 * model's maximum length and right-padded with its pad id.
 *
 * Deliberate differences from the references: ftfy's mojibake repair is not reproduced, and the
 * SD2/SDXL `tokenizer_2` quirk where transformers maps every literal `!` to the pad id 0 is not
 * replicated (open_clip, which SD2 was trained with, does not do it either).
 */

export interface TokenizerFiles {
  /** Contents of `tokenizer/vocab.json`. */
  vocab: string;
  /** Contents of `tokenizer/merges.txt`. */
  merges: string;
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
  /** The cleaned prompt text from the first word that lost tokens to truncation, for a warning. */
  droppedText?: string;
}

export const START_OF_TEXT = "<|startoftext|>";
export const END_OF_TEXT = "<|endoftext|>";
export const END_OF_WORD = "</w>";
const DEFAULT_MAX_LENGTH = 77;
/** Largest `model_max_length` taken from tokenizer_config.json; transformers writes 1e30 for "unset". */
const MAX_SANE_LENGTH = 4096;
const CACHE_LIMIT = 20_000;

/** The CLIP pre-tokenize pattern (case-insensitive; the text is lowercased first anyway). */
const CLIP_PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

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

const ENTITIES: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0", copy: "©", reg: "®", trade: "™",
  hellip: "…", mdash: "—", ndash: "–", lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”", laquo: "«",
  raquo: "»", times: "×", deg: "°", middot: "·", bull: "•", eacute: "é", egrave: "è", agrave: "à",
  ccedil: "ç", uuml: "ü", ouml: "ö", auml: "ä", szlig: "ß", ntilde: "ñ",
};

/** Unescapes common named and all numeric HTML entities (Python `html.unescape` on the usual cases). */
function unescapeHtml(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[a-zA-Z]{2,8});/g, (whole, body: string) => {
    if (body.startsWith("#")) {
      const cp = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return "\ufffd";
      return String.fromCodePoint(cp);
    }
    return ENTITIES[body] ?? ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/**
 * CLIP text cleanup: HTML entities unescaped twice (as openai/CLIP does), NFC, control characters
 * and BOMs removed, whitespace runs collapsed to one space, trimmed, lowercased.
 */
export function cleanText(text: string): string {
  return unescapeHtml(unescapeHtml(text))
    .normalize("NFC")
    .replace(/[\u0000-\u0008\u000e-\u001f\u007f\ufeff]/g, "")
    .replace(/\s+/gu, " ")
    .trim()
    .toLowerCase();
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

/** Parses merges.txt into a rank map (`"left right"` → index). Throws naming the file and line. */
function parseMerges(text: string): { ranks: Map<string, number>; merges: Array<[string, string]> } {
  const lines = text.split("\n");
  const merges: Array<[string, string]> = [];
  const ranks = new Map<string, number>();
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
    const pair: [string, string] = [parts[0]!, parts[1]!];
    // Like both transformers tokenizers, a repeated pair takes the rank of its last line.
    ranks.set(pairKey(pair[0], pair[1]), merges.length);
    merges.push(pair);
  }
  if (merges.length === 0) throw new Error("merges.txt has no merges (expected a '#version' line, then one 'left right' pair per line)");
  return { ranks, merges };
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

/** Parses vocab.json into a token → id map. Throws naming the file and what is wrong. */
function parseVocab(text: string): Map<string, number> {
  const json = parseJsonFile("vocab.json", text);
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw new Error("vocab.json must be a JSON object mapping token strings to integer ids");
  const vocab = new Map<string, number>();
  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(json as Record<string, unknown>)) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > 0x7fffffff)
      throw new Error(`vocab.json: the id of token ${JSON.stringify(truncate(token))} must be a non-negative integer, got ${truncate(JSON.stringify(id) ?? String(id))}`);
    const other = byId.get(id);
    if (other !== undefined)
      throw new Error(`vocab.json: tokens ${JSON.stringify(truncate(other))} and ${JSON.stringify(truncate(token))} share the id ${id}`);
    byId.set(id, token);
    vocab.set(token, id);
  }
  if (vocab.size === 0) throw new Error("vocab.json is empty");
  return vocab;
}

interface SpecialTokens {
  bos?: string;
  eos?: string;
  pad?: string;
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
  for (const [key, field] of [["bos_token", "bos"], ["eos_token", "eos"], ["pad_token", "pad"]] as const) {
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
  /** Offset of the regex match in the cleaned text. */
  start: number;
  tokens: readonly string[];
}

export class ClipTokenizer {
  readonly maxLength: number;
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly vocabSize: number;
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly ranks: ReadonlyMap<string, number>;
  private readonly specials: ReadonlyMap<string, number>;
  private readonly cache = new Map<string, readonly string[]>();

  private constructor(vocab: Map<string, number>, ranks: Map<string, number>, bosId: number, eosId: number, padId: number, maxLength: number) {
    this.vocab = vocab;
    this.ranks = ranks;
    this.bosId = bosId;
    this.eosId = eosId;
    this.padId = padId;
    this.maxLength = maxLength;
    this.vocabSize = vocab.size;
    // The literal special tokens in a prompt become their ids, as in both reference tokenizers.
    const specials = new Map<string, number>();
    for (const t of [START_OF_TEXT, END_OF_TEXT]) {
      const id = vocab.get(t);
      if (id !== undefined) specials.set(t, id);
    }
    this.specials = specials;
  }

  /** Builds a tokenizer from the contents of a model's `tokenizer/` files. Errors name the file at fault. */
  static fromFiles(files: TokenizerFiles): ClipTokenizer {
    const vocab = parseVocab(files.vocab);
    for (const [b, c] of bytesToUnicode()) {
      for (const t of [c, c + END_OF_WORD])
        if (!vocab.has(t))
          throw new Error(`vocab.json lacks the byte-level token ${JSON.stringify(t)} (byte 0x${b.toString(16).padStart(2, "0")}); it is not a CLIP byte-level BPE vocabulary`);
    }
    const { ranks, merges } = parseMerges(files.merges);
    for (let i = 0; i < merges.length; i++) {
      const [a, b] = merges[i]!;
      for (const part of [a, b])
        if (!vocab.has(part))
          throw new Error(`merges.txt merge ${i + 1} (${JSON.stringify(`${a} ${b}`)}) uses ${JSON.stringify(part)}, which is not in vocab.json`);
      if (!vocab.has(a + b))
        throw new Error(`merges.txt merge ${i + 1} (${JSON.stringify(`${a} ${b}`)}) makes ${JSON.stringify(a + b)}, which is not in vocab.json`);
    }

    // special_tokens_map.json overrides tokenizer_config.json, as when transformers loads them.
    const config = files.tokenizerConfig !== undefined ? parseSpecial("tokenizer_config.json", files.tokenizerConfig) : undefined;
    const map = files.specialTokensMap !== undefined ? parseSpecial("special_tokens_map.json", files.specialTokensMap) : undefined;
    const pick = (field: "bos" | "eos" | "pad"): { token: string; source: string } | undefined => {
      if (map?.[field] !== undefined) return { token: map[field], source: "special_tokens_map.json" };
      if (config?.[field] !== undefined) return { token: config[field], source: "tokenizer_config.json" };
      return undefined;
    };
    const idOf = (field: "bos" | "eos" | "pad", fallback: string | undefined): number | undefined => {
      const chosen = pick(field);
      const token = chosen?.token ?? fallback;
      if (token === undefined) return undefined;
      const id = vocab.get(token);
      if (id === undefined)
        throw new Error(chosen
          ? `${chosen.source}: ${field}_token ${JSON.stringify(token)} is not in vocab.json`
          : `vocab.json lacks the ${field === "bos" ? "start" : "end"}-of-text token ${JSON.stringify(token)}`);
      return id;
    };
    const bosId = idOf("bos", START_OF_TEXT)!;
    const eosId = idOf("eos", END_OF_TEXT)!;
    const padId = idOf("pad", undefined) ?? eosId;
    const maxLength = config?.maxLength ?? DEFAULT_MAX_LENGTH;
    return new ClipTokenizer(vocab, ranks, bosId, eosId, padId, maxLength);
  }

  /** Id of a vocabulary string, if present. */
  tokenId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** The BPE pieces of a text (vocabulary strings, byte-level, `</w>` on word ends), without bos/eos or truncation. */
  tokenStrings(text: string): string[] {
    return this.pieces(cleanText(text)).flatMap((p) => p.tokens);
  }

  encode(text: string): Encoded {
    const cleaned = cleanText(text);
    const room = this.maxLength - 2;
    const content: number[] = [];
    let truncated = false;
    let droppedText: string | undefined;
    for (const piece of this.pieces(cleaned, room + 1)) {
      for (const t of piece.tokens) {
        if (content.length === room) {
          truncated = true;
          droppedText = cleaned.slice(piece.start).trim();
          break;
        }
        content.push(this.idOf(t));
      }
      if (truncated) break;
    }
    const ids = new Int32Array(this.maxLength).fill(this.padId);
    ids[0] = this.bosId;
    ids.set(content, 1);
    ids[content.length + 1] = this.eosId;
    const out: Encoded = { ids, length: content.length + 2, truncated };
    if (droppedText !== undefined) out.droppedText = droppedText;
    return out;
  }

  private idOf(token: string): number {
    const id = this.vocab.get(token) ?? this.specials.get(token);
    // Unreachable: fromFiles checks every byte token and every merge result is in the vocabulary.
    if (id === undefined) throw new Error(`internal error: token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }

  /** Pre-tokenizes and BPE-encodes the cleaned text, stopping once `limit` tokens are collected. */
  private pieces(cleaned: string, limit = Infinity): Piece[] {
    const out: Piece[] = [];
    let count = 0;
    for (const m of cleaned.matchAll(CLIP_PATTERN)) {
      if (count >= limit) break;
      const tokens = this.bpe(m[0]);
      out.push({ start: m.index, tokens });
      count += tokens.length;
    }
    return out;
  }

  private bpe(piece: string): readonly string[] {
    const special = this.specials.get(piece);
    if (special !== undefined) return [piece];
    let tokens = this.cache.get(piece);
    if (tokens === undefined) {
      tokens = bytePairEncode(byteEncode(piece), this.ranks);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(piece, tokens);
    }
    return tokens;
  }
}
