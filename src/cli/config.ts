import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { ModelConfig } from "../runtime/model/resolve-model.js";
import { CliError } from "./errors.js";

export const CONFIG_FILE = "scenec.yaml";

export type ScenecConfig = ModelConfig;

/**
 * The user's configuration: the nearest scenec.yaml in the scene's folder or above. It names model
 * folders (`models: { sd15: ../models/sd15-onnx }`, relative to the file) and, optionally, the
 * `default` model for scenes that name none (one of those names, or a folder).
 */
export function loadConfig(startFolder: string): ScenecConfig {
  let dir = path.resolve(startFolder);
  for (;;) {
    const file = path.join(dir, CONFIG_FILE);
    if (existsSync(file)) return parseConfig(file, readFileSync(file, "utf8"));
    const parent = path.dirname(dir);
    if (parent === dir) return { models: {} };
    dir = parent;
  }
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
  const { models, default: fallback, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new CliError(`${file}: unknown setting${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `\`${k}\``).join(", ")}; the file has \`models:\` and \`default:\``);
  const out: Record<string, string> = {};
  if (models !== undefined) {
    if (typeof models !== "object" || models === null || Array.isArray(models)) throw new CliError(`${file}: \`models\` must map names to model folders`);
    for (const [name, folder] of Object.entries(models)) {
      if (typeof folder !== "string" || folder === "") throw new CliError(`${file}: model \`${name}\` must be a folder path`);
      out[name] = path.resolve(path.dirname(file), folder);
    }
  }
  if (fallback === undefined) return { file, models: out };
  if (typeof fallback !== "string" || fallback === "") throw new CliError(`${file}: \`default\` must be a model name or folder`);
  return { file, models: out, default: out[fallback] ?? path.resolve(path.dirname(file), fallback) };
}
