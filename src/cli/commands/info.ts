import { readFileSync } from "node:fs";
import type { Command } from "../command.js";
import { CliError, describeFsError, UsageError } from "../errors.js";

export const infoCommand: Command = {
  name: "info",
  synopsis: "IMAGE.png [--json]",
  summary: "show how a PNG was made: its scene, seed and plan hash (from scenec render)",
  help: `Reads the metadata \`scenec render\` stores in the PNGs it writes and prints the image size,
the seed, the plan's SHA-256, the scenec version and, last, the scene's source. A PNG without
scenec metadata is not an error: info says so.

options:
  --json       print JSON instead: the file, its size and every text chunk (keyword → text)
  -h, --help   show this help

exit status: 0 information printed (with or without scenec metadata), 2 bad arguments, or a file
that cannot be read or is not a PNG`,
  options: {
    json: { type: "boolean" },
  },
  async run({ values, positionals }, terminal) {
    if (positionals.length === 0) throw new UsageError("info needs an IMAGE", "info");
    if (positionals.length > 1) throw new UsageError(`info takes one IMAGE, not ${positionals.length}`, "info");
    const path = positionals[0]!;

    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new CliError(`cannot read ${path}: ${describeFsError(error)}`);
    }
    const png = await import("../../runtime/image/png-text.js");
    let text: Record<string, string>;
    try {
      text = png.readPngText(bytes);
    } catch (error) {
      if (error instanceof png.PngFormatError) {
        throw new CliError(error.notPng ? `${path} is not a PNG` : `${path} is not a valid PNG: ${error.message}`);
      }
      throw error;
    }
    const { default: sharp } = await import("sharp");
    let width: number;
    let height: number;
    try {
      ({ width, height } = await sharp(bytes, { limitInputPixels: false }).metadata());
    } catch (error) {
      throw new CliError(`${path} is not a valid PNG: ${error instanceof Error ? error.message : String(error)}`);
    }

    if (values["json"] === true) {
      terminal.stdout.write(`${JSON.stringify({ file: path, width, height, text }, null, 2)}\n`);
      return 0;
    }

    if (!png.hasScenecMetadata(text)) {
      terminal.stdout.write(`${path}: ${width} x ${height} PNG, no scenec metadata\n`);
      return 0;
    }
    const fields: [string, string | undefined][] = [
      ["file", path],
      ["size", `${width} x ${height}`],
      ["seed", text[png.KEY_SEED]],
      ["plan sha256", text[png.KEY_PLAN_SHA256]],
      ["version", text[png.KEY_VERSION]],
      ["software", text[png.KEY_SOFTWARE]],
    ];
    let out = "";
    for (const [label, value] of fields) out += `${`${label}:`.padEnd(13)}${value ?? "(not recorded)"}\n`;
    const scene = text[png.KEY_SCENE];
    if (scene === undefined) out += "\nscene: (not recorded)\n";
    else out += `\n--- scene ---\n${scene}${scene.endsWith("\n") || scene === "" ? "" : "\n"}`;
    terminal.stdout.write(out);
    return 0;
  },
};
