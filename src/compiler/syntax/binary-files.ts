/**
 * Recognises a file that is plainly not a scene — an image, other binary data, text that is not
 * UTF-8 — so that it gets one diagnostic that says what it is, instead of one syntax error for
 * every few bytes (a PNG gave 24,000). Works on the decoded text, because that is what the
 * compiler is given: undecodable bytes have become U+FFFD and each high byte of a signature a
 * single U+FFFD, so a signature is matched in that form.
 */

export interface NotAScene {
  /** What the file is, to follow "it is": `a PNG image`, `binary data (it has NUL bytes)`. */
  what: string;
  /** What to do instead, for the help line. */
  help: string;
  /** Where in the text the evidence is (0 for a signature). */
  offset: number;
}

interface Signature {
  what: string;
  /** The first bytes; a byte of 0x80 and up stands for the U+FFFD it decodes to. */
  bytes: readonly number[];
  /** More bytes at a fixed offset (WebP's `WEBP` after RIFF's size). */
  then?: { at: number; bytes: readonly number[] };
}

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** Longest prefix first where one is the start of another (JPEG's three bytes before UTF-16's two). */
const SIGNATURES: readonly Signature[] = [
  { what: "a PNG image", bytes: [0x89, ...ascii("PNG\r\n\x1a\n")] },
  { what: "a JPEG image", bytes: [0xff, 0xd8, 0xff] },
  { what: "a GIF image", bytes: ascii("GIF87a") },
  { what: "a GIF image", bytes: ascii("GIF89a") },
  { what: "a WebP image", bytes: ascii("RIFF"), then: { at: 8, bytes: ascii("WEBP") } },
  { what: "a TIFF image", bytes: ascii("II*\0") },
  { what: "a TIFF image", bytes: ascii("MM\0*") },
  { what: "UTF-16 text", bytes: [0xff, 0xfe] },
  { what: "UTF-16 text", bytes: [0xfe, 0xff] },
];

/** PNG text chunks whose keyword starts with `scenec:` (see runtime/image/png-text.ts) mark a scenec render. */
const SCENEC_TEXT_CHUNK = /(?:tEXt|zTXt|iTXt)scenec:/;
/** The text chunks of another tool's generation parameters that `scenec import` reads: A1111's `parameters`, ComfyUI's `prompt` graph. */
const GENERATION_TEXT_CHUNK = /(?:tEXt|zTXt|iTXt)(parameters|prompt)\0/;

function matchesAt(text: string, at: number, bytes: readonly number[]): boolean {
  return bytes.every((b, i) => {
    const c = text.charCodeAt(at + i);
    return b >= 0x80 ? c === 0xfffd : c === b;
  });
}

function signatureOf(text: string): string | undefined {
  const found = SIGNATURES.find((s) => matchesAt(text, 0, s.bytes) && (!s.then || matchesAt(text, s.then.at, s.then.bytes)));
  return found?.what;
}

/**
 * Why `text` (a file's contents, decoded as UTF-8) is not a scene, or undefined when it is text.
 * `file` is the path as the user wrote it, for the help line. A scene never holds a NUL or a
 * U+FFFD replacement character (the latter is what a decoder leaves of bytes that are not UTF-8).
 */
export function notASceneFile(text: string, file: string): NotAScene | undefined {
  const signature = signatureOf(text);
  if (signature === "UTF-16 text") return { what: signature, help: "save it as UTF-8: a scene file is UTF-8 text", offset: 0 };
  if (signature === "a PNG image" && SCENEC_TEXT_CHUNK.test(text))
    return {
      what: "a PNG image rendered by scenec",
      help: `\`scenec info ${file}\` prints the scene it was rendered from, \`scenec import ${file} -o NAME.scene\` saves it as a scene file, \`scenec render ${file}\` renders it again`,
      offset: 0,
    };
  const generation = signature === "a PNG image" ? GENERATION_TEXT_CHUNK.exec(text) : null;
  if (generation)
    return {
      what: `a PNG image with ${generation[1] === "parameters" ? "AUTOMATIC1111's generation parameters" : "a ComfyUI graph"}`,
      help: `\`scenec import ${file} -o NAME.scene\` turns them into a scene; \`scenec info ${file}\` shows what the PNG carries`,
      offset: 0,
    };
  if (signature === "a PNG image")
    return { what: signature, help: `scenec reads \`.scene\` files (\`scenec info ${file}\` shows what a PNG carries); to paint over an image, name it in a scene with \`guide "file"\``, offset: 0 };
  if (signature !== undefined)
    return { what: signature, help: "scenec reads `.scene` files; to paint over an image, name it in a scene with `guide \"file\"`", offset: 0 };
  const nul = text.indexOf("\0");
  if (nul !== -1) return { what: "binary data (it has NUL bytes)", help: "a scene file is UTF-8 text; check the file name", offset: nul };
  const replaced = text.indexOf("\ufffd");
  if (replaced !== -1)
    return {
      what: "not UTF-8 text (it has bytes that are not UTF-8, or a U+FFFD replacement character)",
      help: "save it as UTF-8 (an editor's \"Save with encoding\" does it)",
      offset: replaced,
    };
  return undefined;
}
