import path from "node:path";
import type { ModelRef } from "../../compiler/plan.js";
import { builtinModelFiles } from "../builtin/builtin-model.js";
import { ModelError } from "./model-error.js";
import { folderSource, memorySource, type ModelSource } from "./model-source.js";

/** Where a plan's model comes from, resolved to something the worker can load (plain data). */
export type ModelLocation = { kind: "builtin" } | { kind: "folder"; path: string };

/**
 * Resolves a plan's model reference. Paths are relative to the plan's folder; names are looked up
 * in the user's configuration (`models`), where a missing name is an error that lists the names.
 */
export function resolveModel(ref: ModelRef, planFolder: string, configured: Readonly<Record<string, string>> = {}, configFile?: string): ModelLocation {
  if (ref.kind === "builtin") return { kind: "builtin" };
  if (ref.kind === "path") return { kind: "folder", path: path.resolve(planFolder, ref.path) };
  const found = configured[ref.name];
  if (found !== undefined) return { kind: "folder", path: found };
  const known = Object.keys(configured);
  throw new ModelError(
    configFile
      ? `model \`${ref.name}\` is not in ${configFile} (it names ${known.length ? known.map((k) => `\`${k}\``).join(", ") : "no models"}); add it under \`models:\` or give the model's folder as a path`
      : `model \`${ref.name}\` is not configured: add a scenec.yaml with \`models: { ${ref.name}: path/to/model-folder }\` next to the scene, or write the model's folder as a path (\`model "./models/${ref.name}"\`)`,
  );
}

export function modelSource(location: ModelLocation): ModelSource {
  return location.kind === "builtin" ? memorySource("the built-in model", builtinModelFiles()) : folderSource(location.path);
}
