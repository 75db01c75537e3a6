import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseNpy } from "../compiler/check/npy-file.js";
import type { PlanNoiseFile } from "../compiler/plan/plan.js";
import { StaleGuideError } from "./guides/guide-image.js";
import { halfArrayToFloat32 } from "./onnx/float16.js";

/**
 * The initial noise of `noise "file.npy"`, as float32 [4, H/8, W/8]. The compiler checked the
 * file (type, shape, finite values) and recorded its hash; a file changed since then is a
 * StaleGuideError (compile again), never a silent render from other noise.
 */
export async function loadNoiseFile(noise: PlanNoiseFile, folder: string, length: number): Promise<Float32Array> {
  const file = path.resolve(folder, noise.path);
  const bytes = await readFile(file);
  if (createHash("sha256").update(bytes).digest("hex") !== noise.sha256) throw new StaleGuideError(file, "noise file");
  const parsed = parseNpy(bytes);
  if (!parsed.ok) throw new StaleGuideError(file, "noise file");
  const { array } = parsed;
  const values = array.dtype === "float32" ? new Float32Array(array.data) : halfArrayToFloat32(new Uint16Array(array.data));
  if (values.length !== length) throw new RangeError(`noise file ${file} holds ${values.length} values; the plan's canvas needs ${length}`);
  return values;
}
