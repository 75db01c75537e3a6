import { existsSync } from "node:fs";
import path from "node:path";
import { isMap, isScalar, parse as parseYaml, parseDocument } from "yaml";
import type { ProjectRules } from "../compiler/check/project-root.js";
import type { ModelConfig } from "../runtime/model/resolve-model.js";
import { DEVICE_REQUESTS, type DeviceRequest } from "../runtime/model/device-request.js";
import { CliError } from "./errors.js";
import { readTextFile } from "./files.js";
import { MEMORY_SIZE_HELP, parseMemorySize } from "./memory-size.js";

export const CONFIG_FILE = "scenec.yaml";

export interface ScenecConfig extends ModelConfig {
  /** Folders outside the project root that scenes may reach (`allow-outside:`), absolute. */
  allowOutside?: readonly string[];
  /** `device:`, the default of `--device`. */
  device?: DeviceRequest;
  /** `decode-memory:` in bytes, the default of `--decode-memory`. */
  decodeMemory?: number;
}

/** The nearest scenec.yaml in `startFolder` or above it, or undefined. */
function findConfigFile(startFolder: string): string | undefined {
  let dir = path.resolve(startFolder);
  for (;;) {
    const file = path.join(dir, CONFIG_FILE);
    if (existsSync(file)) return file;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The user's configuration: the nearest scenec.yaml in the scene's folder or above. It names model
 * folders (`models: { sd15: ../models/sd15-onnx }`, relative to the file), optionally the
 * `default` model for scenes that name none (one of those names, or a folder), and the folders
 * outside the project that scenes may reach (`allow-outside: [../shared-guides]`).
 */
export function loadConfig(startFolder: string): ScenecConfig {
  const file = findConfigFile(startFolder);
  return file === undefined ? { models: {} } : parseConfig(file, readTextFile(file));
}

/**
 * The project root rule for a file (a scene, or a plan) in the CLI: the folder of the nearest
 * scenec.yaml, else the file's own folder; `--allow-outside` lifts the rule.
 */
export function projectRules(file: string, allowOutside: boolean): ProjectRules {
  const config = loadConfig(path.dirname(file));
  const root = config.file !== undefined ? path.dirname(config.file) : path.dirname(path.resolve(file));
  return { root, ...(config.file !== undefined ? { configFile: config.file } : {}), outside: allowOutside ? "anywhere" : (config.allowOutside ?? []) };
}

function folderList(file: string, key: string, value: unknown): string[] {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.some((folder) => typeof folder !== "string" || folder === ""))
    throw new CliError(`${file}: \`${key}\` must list folders (relative to ${CONFIG_FILE}), such as \`${key}: [../shared]\``);
  return list.map((folder: string) => path.resolve(path.dirname(file), folder));
}

export function parseConfig(file: string, text: string): ScenecConfig {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new CliError(`${file}: not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (value === null || value === undefined) return { file, models: {} };
  if (typeof value !== "object" || Array.isArray(value)) throw new CliError(`${file}: expected a mapping with \`models:\``);
  const { models, default: fallback, "allow-outside": outside, device, "decode-memory": memory, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length)
    throw new CliError(`${file}: unknown setting${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `\`${k}\``).join(", ")}; the file has \`models:\`, \`default:\`, \`device:\`, \`decode-memory:\` and \`allow-outside:\``);
  if (device !== undefined && !(typeof device === "string" && (DEVICE_REQUESTS as readonly string[]).includes(device)))
    throw new CliError(`${file}: \`device\` must be ${DEVICE_REQUESTS.slice(0, -1).join(", ")} or ${DEVICE_REQUESTS.at(-1)}, not ${JSON.stringify(device)}`);
  const decodeMemory = typeof memory === "string" ? parseMemorySize(memory) : undefined;
  if (memory !== undefined && decodeMemory === undefined)
    throw new CliError(`${file}${position(text, "decode-memory")}: \`decode-memory\` needs ${MEMORY_SIZE_HELP}, not ${JSON.stringify(memory)}`);
  const out: Record<string, string> = {};
  if (models !== undefined) {
    if (typeof models !== "object" || models === null || Array.isArray(models)) throw new CliError(`${file}: \`models\` must map names to model folders`);
    for (const [name, folder] of Object.entries(models)) {
      if (typeof folder !== "string" || folder === "") throw new CliError(`${file}: model \`${name}\` must be a folder path`);
      out[name] = path.resolve(path.dirname(file), folder);
    }
  }
  const extra = { ...(outside === undefined ? {} : { allowOutside: folderList(file, "allow-outside", outside) }), ...(device === undefined ? {} : { device: device as DeviceRequest }), ...(decodeMemory === undefined ? {} : { decodeMemory }) };
  if (fallback === undefined) return { file, models: out, ...extra };
  if (typeof fallback !== "string" || fallback === "") throw new CliError(`${file}: \`default\` must be a model name or folder`);
  return { file, models: out, default: out[fallback] ?? path.resolve(path.dirname(file), fallback), ...extra };
}

/** `:line:column` of a top-level setting's value in the file's text (1-based), or "" when it cannot be found. */
function position(text: string, key: string): string {
  const contents = parseDocument(text).contents;
  const pair = isMap(contents) ? contents.items.find((item) => isScalar(item.key) && item.key.value === key) : undefined;
  const offset = (pair?.value as { range?: [number, number, number] } | null | undefined)?.range?.[0];
  if (offset === undefined) return "";
  const before = text.slice(0, offset).split("\n");
  return `:${before.length}:${before.at(-1)!.length + 1}`;
}
