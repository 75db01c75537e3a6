import { createHash } from "node:crypto";
import { maxNoiseBytes, type CompilerHost, type Limits } from "../host.js";
import type { Reporter } from "../diagnostics/reporter.js";
import type { Span } from "../diagnostics/span.js";
import type { NpyDtype } from "./npy-file.js";
import { nonFiniteCount, parseNpy } from "./npy-file.js";
import type { Size } from "./geometry.js";
import { readWithin, resolveScenePath, type ProjectRules } from "./project-root.js";
import { LATENT_FACTOR } from "./values.js";

export interface NoiseFileSpec {
  /** As resolved from the scene file (the host reads this). */
  file: string;
  span: Span;
  sha256: string;
  dtype: NpyDtype;
  /** As stored: [4, h, w] or [1, 4, h, w]. */
  shape: number[];
}

/**
 * `noise "file.npy"`: reads the file through the host like a guide (project-root rule, byte limit),
 * and checks that it is an .npy array of float32 or float16 values, shaped for the canvas's latents
 * ([4, H/8, W/8] or [1, 4, H/8, W/8]), all finite. Reports at the path's span; undefined when refused.
 */
export function elaborateNoiseFile(
  noise: { written: string; span: Span },
  sceneFile: string,
  /** Undefined when the canvas is unknown (an error has been reported); the shape is then not checked. */
  canvas: Size | undefined,
  host: CompilerHost,
  rules: ProjectRules,
  limits: Limits,
  reporter: Reporter,
): NoiseFileSpec | undefined {
  const { written, span } = noise;
  const file = resolveScenePath(reporter, rules, host, "noise", sceneFile, written, span);
  if (file === undefined) return undefined;
  const read = readWithin(reporter, host, "noise", file, maxNoiseBytes(limits), written, span);
  if (!read.ok) {
    if (read.reason === "missing") reporter.report("S3013", span, { variant: "missing", file: written, path: file });
    else if (read.reason === "unreadable") reporter.report("S3013", span, { variant: "unreadable", file: written, why: read.message });
    return undefined;
  }
  const parsed = parseNpy(read.bytes);
  if (!parsed.ok) {
    if (parsed.dtype !== undefined) reporter.report("S3013", span, { variant: "dtype", file: written, dtype: parsed.dtype });
    else reporter.report("S3013", span, { variant: "notNpy", file: written, problem: parsed.problem });
    return undefined;
  }
  const { shape } = parsed.array;
  if (canvas) {
    const latent = { width: canvas.width / LATENT_FACTOR, height: canvas.height / LATENT_FACTOR };
    const dims = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape;
    if (dims.length !== 3 || dims[0] !== 4 || dims[1] !== latent.height || dims[2] !== latent.width) {
      reporter.report("S3013", span, { variant: "shape", file: written, shape, latent, canvas });
      return undefined;
    }
  }
  const bad = nonFiniteCount(parsed.array);
  if (bad > 0) {
    reporter.report("S3013", span, { variant: "nonFinite", file: written, count: bad });
    return undefined;
  }
  return { file, span, sha256: createHash("sha256").update(read.bytes).digest("hex"), dtype: parsed.array.dtype, shape };
}
