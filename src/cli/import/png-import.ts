import { a1111Scene } from "./a1111-scene.js";
import { comfyuiScene } from "./comfyui-graph.js";
import { embeddedSource, scenecWithoutSource } from "./embedded-source.js";
import { ImportError } from "./import-error.js";
import type { ImportedScene } from "./imported-scene.js";
import { writeScene } from "./scene-writer.js";

/** The text chunk A1111 (and tools that copy it: Forge, Fooocus, Civitai) writes its infotext to. */
export const A1111_KEY = "parameters";
/** The text chunk ComfyUI writes its API-format graph to (its UI's graph is `workflow`). */
export const COMFYUI_KEY = "prompt";

export interface PngImport {
  /** The `.scene` text. */
  scene: string;
  /** What did not carry over, for stderr; empty for a scenec PNG, whose scene is its own. */
  warnings: string[];
}

function warningsOf(scene: ImportedScene): string[] {
  const model = scene.model ? [`the model ${scene.model.name} is commented out in the scene: name it in scenec.yaml to render with it`] : [];
  return [...scene.unmapped.map((item) => `not mapped: ${item}`), ...scene.notes, ...model];
}

/**
 * A scene from a PNG's text chunks (`from` names the PNG in the scene's first comment): a scenec
 * PNG's own scene, verbatim; else A1111's `parameters`; else ComfyUI's `prompt` graph. Throws
 * ImportError when the PNG has none of them, or a graph or source that cannot be imported.
 */
export function importPng(text: Readonly<Record<string, string>>, from: string): PngImport {
  const source = embeddedSource(text);
  if (source?.plan) throw new ImportError("it was rendered from a saved plan, not a scene: `scenec render` re-renders it, and `scenec info --json` shows the plan");
  if (source) return { scene: source.text, warnings: [] };
  if (scenecWithoutSource(text)) throw new ImportError("it has scenec metadata but no scene (no `scenec:scene` text chunk)");
  const infotext = text[A1111_KEY];
  const graph = text[COMFYUI_KEY];
  const imported = infotext !== undefined ? a1111Scene(infotext) : graph !== undefined ? comfyuiScene(graph) : undefined;
  if (!imported) throw new ImportError("it has no scene and no generation parameters: no `scenec:scene`, A1111 `parameters` or ComfyUI `prompt` text chunk");
  return { scene: writeScene(imported, from), warnings: warningsOf(imported) };
}
