import { DEFAULT_LIMITS, maxGuideBytes } from "../../compiler/host.js";
import { readRegularFile } from "../../compiler/node-host.js";
import type { Command } from "../command.js";
import { CliError, UsageError } from "../errors.js";
import { pngHeader } from "../../runtime/image/png-header.js";
import * as png from "../../runtime/image/png-text.js";
import { parseA1111Parameters } from "../a1111-parameters.js";
import { parseRenderRecord, type RenderRecord } from "../render-record.js";

/** The most characters of a one-line field (seed, plan hash, version, software) shown. */
const FIELD_LIMIT = 200;
/** The most characters of the scene shown; `--json` prints it all. */
const SCENE_LIMIT = 1024 * 1024;

export const infoCommand: Command = {
  name: "info",
  synopsis: "IMAGE.png [--json]",
  summary: "show how a PNG was made: its scene, seed, model, overrides and imports (from scenec render)",
  help: `Reads the metadata \`scenec render\` stores in the PNGs it writes and prints the image size,
the seed, the plan's SHA-256, the scenec version, what else re-rendering it needs (the model it
resolved to, the command line's --steps, --seed and --noise, the device, batch and decode memory),
the A1111 \`parameters\` text that Automatic1111's and Civitai's PNG Info show, the scene's
source and, last, the text of each file the scene imports. A PNG without scenec metadata is not
an error: info says so.

options:
  --json       print JSON instead: the file, its size and every text chunk (keyword → text),
               verbatim; \`truncated\` lists the keywords whose text is cut short; \`render\` is
               the scenec:render chunk read as JSON, \`parameters\` the A1111 text as A1111
               reads it (prompt, negativePrompt, params)
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

    const record = text[png.KEY_RENDER] !== undefined ? parseRenderRecord(text[png.KEY_RENDER]) : undefined;
    const parameters = text[png.KEY_PARAMETERS];
    if (values["json"] === true) {
      const json = {
        file: path,
        width,
        height,
        text,
        ...(truncated.length > 0 ? { truncated } : {}),
        ...(record && "record" in record ? { render: record.record } : {}),
        ...(parameters !== undefined ? { parameters: parseA1111Parameters(parameters) } : {}),
      };
      terminal.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      return 0;
    }

    // Cut when the PNG was read: the note says how much text scenec reads.
    const readCut = (key: string) => (truncated.includes(key) ? png.MAX_PNG_TEXT_BYTES : undefined);
    if (!png.hasScenecMetadata(text)) {
      // Another tool's picture (A1111's, say) may still say how it was made.
      const infotext = parameters !== undefined ? block("parameters (A1111)", parameters, readCut(png.KEY_PARAMETERS)) : "";
      terminal.stdout.write(`${path}: ${width} x ${height} PNG, no scenec metadata\n${infotext}`);
      return 0;
    }
    const fields: [label: string, value: string | undefined, key: string][] = [
      ["seed", text[png.KEY_SEED], png.KEY_SEED],
      ["plan sha256", text[png.KEY_PLAN_SHA256], png.KEY_PLAN_SHA256],
      ["version", text[png.KEY_VERSION], png.KEY_VERSION],
      ["software", text[png.KEY_SOFTWARE], png.KEY_SOFTWARE],
    ];
    let out = `file:        ${path}\nsize:        ${width} x ${height}\n`;
    for (const [label, value, key] of fields) {
      let shown = "(not recorded)";
      if (value !== undefined) {
        const start = startOf(value, FIELD_LIMIT, readCut(key));
        shown = printable(start.text, false) + (start.note !== undefined ? `… (${start.note})` : "");
      }
      out += field(label, shown);
    }
    if (record && "problem" in record) out += field("render", `(unreadable: ${printable(record.problem, false)})`);
    if (record && "record" in record) out += renderFields(record.record);
    if (parameters !== undefined) out += block("parameters (A1111)", parameters, readCut(png.KEY_PARAMETERS));
    const scene = text[png.KEY_SCENE];
    if (scene === undefined) out += "\nscene: (not recorded)\n";
    else out += block("scene", scene, readCut(png.KEY_SCENE));
    if (record && "record" in record) for (const [file, source] of Object.entries(record.record.imports)) out += block(`import ${printable(file, false)}`, source, undefined);
    terminal.stdout.write(out);
    return 0;
  },
};

/** One `label: value` line, the values aligned. */
function field(label: string, shown: string): string {
  return `${`${label}:`.padEnd(13)}${shown}\n`;
}

/** A one-line value as shown: printable, cut at {@link FIELD_LIMIT} with a note. */
function shownValue(value: string): string {
  const start = startOf(value, FIELD_LIMIT, undefined);
  return printable(start.text, false) + (start.note !== undefined ? `… (${start.note})` : "");
}

/** A text of many lines (the scene, an import, the A1111 parameters) under a `--- title ---` line, cut at {@link SCENE_LIMIT} with a note. */
function block(title: string, value: string, readLimit: number | undefined): string {
  const start = startOf(value, SCENE_LIMIT, readLimit);
  const shown = printable(start.text, true);
  let out = `\n--- ${title} ---\n${shown}${shown.endsWith("\n") || shown === "" ? "" : "\n"}`;
  if (start.note !== undefined) out += `--- ${title} cut: ${start.note} ---\n`;
  return out;
}

/** The `scenec:render` record's lines: the model, the command line's settings, the imported files. */
function renderFields(record: RenderRecord): string {
  const count = (n: number) => n.toLocaleString("en-US");
  const { model, overrides, runtime } = record;
  const modelShown =
    model.kind === "builtin"
      ? `${shownValue(model.name)} (built in, scenec ${shownValue(model.version)})`
      : `${shownValue(model.name)} (model folder; model_index.json sha256 ${model.modelIndexSha256 === null ? "(none)" : shownValue(model.modelIndexSha256)}${model.unet
          .map((f) => `; ${shownValue(f.file)} ${count(f.bytes)} bytes, modified ${shownValue(f.modified)}`)
          .join("")})`;
  const options = (entries: [string, unknown][]) => entries.filter(([, v]) => v !== undefined).map(([k, v]) => `--${k} ${shownValue(String(v))}`).join(" ");
  const given = options([["steps", overrides.steps], ["seed", overrides.seed], ["noise", overrides.noise]]);
  const imports = Object.entries(record.imports).map(([file, source]) => `${shownValue(file)} (${count(source.length)} characters)`);
  return (
    field("model", modelShown) +
    field("overrides", given === "" ? "(none)" : given) +
    field("runtime", options([["device", runtime.device], ["batch", runtime.batch], ["decode-memory", runtime.decodeMemory !== undefined ? `${+(runtime.decodeMemory / 2 ** 20).toFixed(2)}MB` : undefined]])) +
    field("imports", imports.length === 0 ? "(none)" : imports.join(", "))
  );
}

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
