import path from "node:path";
import type { ModelRef } from "../../compiler/plan/plan.js";
import { builtinModelFiles } from "../builtin/builtin-model.js";
import { ModelError } from "./model-error.js";
import { folderSource, memorySource, type ModelSource } from "./model-source.js";

/** Where a plan's model comes from, resolved to something the worker can load (plain data). */
export type ModelLocation = { kind: "builtin" } | { kind: "folder"; path: string };

/** The user's model configuration (scenec.yaml), already resolved to absolute folders. */
export interface ModelConfig {
  /** The file it came from, for messages. */
  file?: string;
  /** Model names → folders. */
  models: Readonly<Record<string, string>>;
  /** The folder used when a scene names no model. */
  default?: string;
}

/**
 * Resolves a plan's model reference. Paths are relative to the plan's folder; names are looked up
 * in the configuration, where a missing name is an error that lists the known names; a scene
 * without a model gets the configured default, else the built-in model.
 */
export function resolveModel(ref: ModelRef, planFolder: string, config: ModelConfig = { models: {} }): ModelLocation {
  switch (ref.kind) {
    case "builtin":
      return { kind: "builtin" };
    case "default":
      return config.default !== undefined ? { kind: "folder", path: config.default } : { kind: "builtin" };
    case "path":
      return { kind: "folder", path: path.resolve(planFolder, ref.path) };
    case "named": {
      const found = config.models[ref.name];
      if (found !== undefined) return { kind: "folder", path: found };
      const known = Object.keys(config.models);
      throw new ModelError(
        config.file
          ? `model \`${ref.name}\` is not in ${config.file} (it names ${known.length ? known.map((k) => `\`${k}\``).join(", ") : "no models"}); add it under \`models:\` or give the model's folder as a path`
          : `model \`${ref.name}\` is not configured: add a scenec.yaml with \`models: { ${ref.name}: path/to/model-folder }\` next to the scene, or write the model's folder as a path (\`model "./models/${ref.name}"\`)`,
      );
    }
  }
}

export function modelSource(location: ModelLocation): ModelSource {
  return location.kind === "builtin" ? memorySource("the built-in model", builtinModelFiles()) : folderSource(location.path);
}
