import type { NoiseGenerator, SchedulerName } from "../../compiler/plan/plan.js";

/**
 * What `scenec import` took from another tool's PNG (A1111's infotext, a ComfyUI graph): the
 * settings a scene can say, and, in words, what it cannot. scene-writer.ts writes it as a scene.
 */
export interface ImportedScene {
  /** Where it came from, for the scene's first comment: `an AUTOMATIC1111 PNG (v1.10.1)`. */
  origin: string;
  /** The canvas, multiples of 8 (see {@link canvasSize}). */
  width: number;
  height: number;
  prompt: string;
  negative: string;
  seed?: number;
  /** The generator the tool drew its initial noise with (A1111's GPU and NV RNG are Philox). */
  noise?: NoiseGenerator;
  steps?: number;
  scheduler?: { name: SchedulerName; karras: boolean };
  guidance?: number;
  /** The tool's checkpoint: a scenec.yaml name the user has to configure, so written commented out. */
  model?: { name: string; hash?: string };
  /** How a value was adjusted to fit scenec (a size rounded to a multiple of 8): comments only. */
  notes: string[];
  /** What could not be mapped, one `Key: value` (or sentence) each: comments, and warnings on stderr. */
  unmapped: string[];
}

/** A size rounded to the nearest multiple of 8 (scenec's sizes are whole latent pixels), at least 8. */
export function multipleOf8(n: number): number {
  return Math.max(8, Math.round(n / 8) * 8);
}

/** The canvas for a tool's width and height, with a note when it had to be rounded. */
export function canvasSize(width: number, height: number, notes: string[]): { width: number; height: number } {
  const size = { width: multipleOf8(width), height: multipleOf8(height) };
  if (size.width !== width || size.height !== height)
    notes.push(`Size ${width}x${height} is rounded to ${size.width} x ${size.height}: scenec's sizes are multiples of 8`);
  return size;
}

/**
 * A checkpoint's file name as a scenec.yaml model name: without its folders and its extension
 * (`SD15/dreamshaper_8.safetensors` is `dreamshaper_8`), the name users give it in both tools.
 */
export function modelName(file: string): string {
  const base = file.split(/[/\\]/).pop() ?? file;
  return base.replace(/\.(safetensors|ckpt|pt|pth|bin|gguf|sft)$/i, "");
}

/** The largest seed a scene takes (2^53 − 1). */
export const MAX_SCENE_SEED = Number.MAX_SAFE_INTEGER;
