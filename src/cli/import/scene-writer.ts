import type { ImportedScene } from "./imported-scene.js";

/**
 * Writing an {@link ImportedScene} as `.scene` text: what could not be mapped first, as comments,
 * then the settings, then one region with the prompt over the whole canvas. Prompts are written
 * as scenec strings (grammar/reference.md, lexical rules) that hold exactly the tool's text:
 * quotes, backslashes and the `{` `}` of style interpolation escaped, line breaks as `\n`, and
 * A1111's emphasis (`(red:1.5)`, `\(`) left as it was written, for the compiler to read.
 */

/** How long a piece of a prompt is on one line; longer prompts continue as adjacent strings, which concatenate. */
const LINE_PIECE = 72;
/** A piece with no space to break at is cut here: well under the compiler's 10,000-character token limit. */
const HARD_PIECE = 200;

/** Characters a scene file cannot hold: a NUL or a U+FFFD makes the compiler take the file for binary or non-UTF-8 data. */
const UNWRITABLE = /[\0\ufffd]/g;

/** One piece's text as a scenec string literal. */
function stringLiteral(text: string): string {
  const escaped = text.replace(/\r\n?|[\n\\"{}]/g, (c) => (c === "\\" || c === '"' || c === "{" || c === "}" ? `\\${c}` : "\\n"));
  return `"${escaped}"`;
}

/** Where to cut `text` at most `limit` characters in: after the last `, ` or space within it, else at the limit (never inside a surrogate pair). */
function cutAt(text: string, limit: number): number {
  if (text.length <= limit) return text.length;
  const window = text.slice(0, limit);
  const comma = window.lastIndexOf(", ");
  if (comma > 0) return comma + 2;
  const space = window.lastIndexOf(" ");
  if (space > 0) return space + 1;
  const hard = Math.min(text.length, HARD_PIECE);
  return /[\ud800-\udbff]/.test(text[hard - 1] ?? "") ? hard - 1 : hard;
}

/** `text` as one or more adjacent string literals, the continuation lines indented by `indent`. */
function strings(text: string, indent: string): string {
  const pieces: string[] = [];
  let rest = text;
  do {
    // A line break ends a piece too, so a multi-line prompt reads line by line.
    const newline = rest.indexOf("\n");
    const end = newline >= 0 && newline < LINE_PIECE ? newline + 1 : cutAt(rest, LINE_PIECE);
    pieces.push(stringLiteral(rest.slice(0, end)));
    rest = rest.slice(end);
  } while (rest.length > 0);
  return pieces.join(`\n${indent}`);
}

/** A comment's text on one line: line breaks and other control characters written as escapes. */
function commentText(text: string): string {
  return text.replace(/[\0-\x1f\x7f]/g, (c) => (c === "\n" ? "\\n" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
}

/** Removes the characters a scene cannot hold from a prompt, saying so in `notes`. */
function writable(text: string, what: string, notes: string[]): string {
  const cleaned = text.replace(UNWRITABLE, "");
  if (cleaned !== text) notes.push(`the ${what} had NUL or U+FFFD characters, which a scene file cannot hold: they are left out`);
  return cleaned;
}

/** The scene text for what was imported. */
export function writeScene(scene: ImportedScene, from: string): string {
  const notes = [...scene.notes];
  const prompt = writable(scene.prompt, "prompt", notes);
  const negative = writable(scene.negative, "negative prompt", notes);
  const lines: string[] = [`# imported by \`scenec import\` from ${commentText(from)}, ${commentText(scene.origin)}`];
  if (scene.unmapped.length > 0) {
    lines.push("# not mapped (scenec has no equivalent, so the picture differs where these matter):");
    for (const item of scene.unmapped) lines.push(`#   ${commentText(item)}`);
  }
  for (const note of notes) lines.push(`# ${commentText(note)}`);
  if (scene.model) {
    const { name, hash } = scene.model;
    lines.push(
      `# the model was ${commentText(name)}${hash !== undefined ? ` (hash ${commentText(hash)})` : ""}: to render with it, name its ONNX export in`,
      `# scenec.yaml (\`models: { ${commentText(name)}: path/to/folder }\`) and uncomment the next line`,
      `# model ${commentText(stringLiteral(name))}`,
    );
  }
  lines.push("", `canvas ${scene.width} x ${scene.height}`);
  if (scene.seed !== undefined) lines.push(`seed ${scene.seed}`);
  if (scene.noise !== undefined) lines.push(`noise ${scene.noise}`);
  if (scene.steps !== undefined) lines.push(`steps ${scene.steps}`);
  if (scene.scheduler !== undefined) lines.push(`scheduler ${scene.scheduler.name}${scene.scheduler.karras ? " karras" : ""}`);
  if (scene.guidance !== undefined) lines.push(`guidance ${scene.guidance}`);
  // Always written: both tools encode an empty negative prompt, which SDXL's default (zeros) is not.
  lines.push(`negative ${strings(negative, "         ")}`);
  lines.push("", "region picture {", `  prompt ${strings(prompt, "         ")}`, "}");
  return `${lines.join("\n")}\n`;
}
