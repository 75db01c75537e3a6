import { DEFAULT_LIMITS, maxGuideBytes } from "../../compiler/host.js";
import { readRegularFile } from "../../compiler/node-host.js";
import type { Command } from "../command.js";
import { CliError, UsageError } from "../errors.js";
import { pngHeader } from "../../runtime/image/png-header.js";
import * as png from "../../runtime/image/png-text.js";

/** The most characters of a one-line field (seed, plan hash, version, software) shown. */
const FIELD_LIMIT = 200;
/** The most characters of the scene shown; `--json` prints it all. */
const SCENE_LIMIT = 1024 * 1024;

export const infoCommand: Command = {
  name: "info",
  synopsis: "IMAGE.png [--json]",
  summary: "show how a PNG was made: its scene, seed and plan hash (from scenec render)",
  help: `Reads the metadata \`scenec render\` stores in the PNGs it writes and prints the image size,
the seed, the plan's SHA-256, the scenec version and, last, the scene's source. A PNG without
scenec metadata is not an error: info says so.

options:
  --json       print JSON instead: the file, its size and every text chunk (keyword → text),
               verbatim; \`truncated\` lists the keywords whose text is cut short
  -h, --help   show this help

Control characters in the text (which could move the cursor, clear the screen or retitle the
terminal) are shown as \\xNN escapes. A field longer than ${FIELD_LIMIT} characters, or a scene longer than
${SCENE_LIMIT.toLocaleString("en-US")}, is cut with a note; at most ${png.MAX_PNG_TEXT_BYTES / 2 ** 20} MiB of text is read from a PNG (a compressed
chunk is never inflated past that).

exit status: 0 information printed (with or without scenec metadata), 2 bad arguments, or a file
that cannot be read (only a regular file is: never a device or a FIFO) or is not a PNG`,
  options: {
    json: { type: "boolean" },
  },
  async run({ values, positionals }, terminal) {
    if (positionals.length === 0) throw new UsageError("info needs an IMAGE", "info");
    if (positionals.length > 1) throw new UsageError(`info takes one IMAGE, not ${positionals.length}`, "info");
    const path = positionals[0]!;

    // Only a regular file, and no larger than the largest guide image: never a device or a FIFO.
    const read = readRegularFile(path, maxGuideBytes(DEFAULT_LIMITS));
    if (!read.ok) throw new CliError(`cannot read ${path}: ${read.reason === "missing" ? "no such file or directory" : read.message}`);
    const bytes = read.bytes;
    let width: number;
    let height: number;
    let text: Record<string, string>;
    let truncated: string[];
    try {
      const chunks = png.pngChunks(bytes);
      ({ width, height } = pngHeader(chunks));
      ({ text, truncated } = png.pngText(chunks));
    } catch (error) {
      if (error instanceof png.PngFormatError) {
        throw new CliError(error.notPng ? `${path} is not a PNG` : `${path} is not a valid PNG: ${error.message}`);
      }
      throw error;
    }

    if (values["json"] === true) {
      const json = { file: path, width, height, text, ...(truncated.length > 0 ? { truncated } : {}) };
      terminal.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      return 0;
    }

    if (!png.hasScenecMetadata(text)) {
      terminal.stdout.write(`${path}: ${width} x ${height} PNG, no scenec metadata\n`);
      return 0;
    }
    const fields: [label: string, value: string | undefined, key: string][] = [
      ["seed", text[png.KEY_SEED], png.KEY_SEED],
      ["plan sha256", text[png.KEY_PLAN_SHA256], png.KEY_PLAN_SHA256],
      ["version", text[png.KEY_VERSION], png.KEY_VERSION],
      ["software", text[png.KEY_SOFTWARE], png.KEY_SOFTWARE],
    ];
    // Cut when the PNG was read: the note says how much text scenec reads.
    const readCut = (key: string) => (truncated.includes(key) ? png.MAX_PNG_TEXT_BYTES : undefined);
    let out = `file:        ${path}\nsize:        ${width} x ${height}\n`;
    for (const [label, value, key] of fields) {
      let shown = "(not recorded)";
      if (value !== undefined) {
        const start = startOf(value, FIELD_LIMIT, readCut(key));
        shown = printable(start.text, false) + (start.note !== undefined ? `… (${start.note})` : "");
      }
      out += `${`${label}:`.padEnd(13)}${shown}\n`;
    }
    const scene = text[png.KEY_SCENE];
    if (scene === undefined) out += "\nscene: (not recorded)\n";
    else {
      const start = startOf(scene, SCENE_LIMIT, readCut(png.KEY_SCENE));
      const shown = printable(start.text, true);
      out += `\n--- scene ---\n${shown}${shown.endsWith("\n") || shown === "" ? "" : "\n"}`;
      if (start.note !== undefined) out += `--- scene cut: ${start.note} ---\n`;
    }
    terminal.stdout.write(out);
    return 0;
  },
};


/**
 * Characters that would act on a terminal (C0 and C1 controls, DEL: cursor moves, clearing the
 * screen, setting its title) or reorder what is shown (bidirectional overrides and isolates),
 * written as `\xNN` or `\uNNNN` escapes. With `lines`, newlines, tabs and the carriage return of
 * a CRLF stay as they are.
 */
function printable(text: string, lines: boolean): string {
  const unsafe = lines ? /[\0-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g : /[\0-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
  return text.replace(unsafe, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
  });
}

/**
 * The start of `value`, at most `limit` characters (never half a surrogate pair), with a note when
 * that is not all of it: cut here, or already when the PNG was read, at `readLimit` bytes of text.
 */
function startOf(value: string, limit: number, readLimit: number | undefined): { text: string; note?: string } {
  let end = Math.min(value.length, limit);
  if (end < value.length && /[\ud800-\udbff]/.test(value[end - 1] ?? "")) end -= 1;
  const text = value.slice(0, end);
  const count = (n: number) => n.toLocaleString("en-US");
  if (readLimit !== undefined) {
    return { text, note: `the first ${count(end)} characters shown: the PNG holds more than ${readLimit / 2 ** 20} MiB of text, which is all scenec reads of it` };
  }
  if (end < value.length) return { text, note: `the first ${count(end)} of ${count(value.length)} characters shown; \`scenec info --json\` prints them all` };
  return { text };
}
