import ort from "onnxruntime-node";
import { float32ToHalfArray, halfArrayToFloat32 } from "../onnx/float16.js";
import { ModelError } from "./model-error.js";

/** A model file's inputs and outputs, checked against what scenec feeds and reads, and float16 conversion at that boundary. */

export type FloatType = "float32" | "float16";

export interface Port {
  name: string;
  type: string;
  shape: readonly (number | string)[];
}

function describeRanks(ranks: readonly number[]): string {
  return ranks.map((r) => (r === 0 ? "a scalar" : `rank ${r}`)).join(" or ");
}

/** An input or output by name, checked for dtype and rank. */
export function port(description: string, session: ort.InferenceSession, model: string, kind: "input", name: string, types: readonly string[], ranks: readonly number[]): Port {
  const meta = session.inputMetadata.find((m) => m.name === name);
  const file = `${model}/model.onnx`;
  if (!meta) throw new ModelError(`${description}: ${file} has no ${kind} \`${name}\` (it has ${session.inputNames.map((n) => `\`${n}\``).join(", ")}); expected a Stable Diffusion ${model} export`, file);
  if (!meta.isTensor) throw new ModelError(`${description}: ${file}: ${kind} \`${name}\` is not a tensor`, file);
  if (!types.includes(meta.type)) throw new ModelError(`${description}: ${file}: ${kind} \`${name}\` is ${meta.type}; expected ${types.join(" or ")}`, file);
  if (!ranks.includes(meta.shape.length)) throw new ModelError(`${description}: ${file}: ${kind} \`${name}\` has rank ${meta.shape.length}; expected ${describeRanks(ranks)}`, file);
  return { name, type: meta.type, shape: meta.shape };
}

/** The output of that name, or the model's first output (exporters differ in names). */
export function outputPort(description: string, session: ort.InferenceSession, model: string, name: string, types: readonly string[], rank: number): Port {
  const meta = session.outputMetadata.find((m) => m.name === name) ?? session.outputMetadata[0];
  const file = `${model}/model.onnx`;
  if (!meta || !meta.isTensor) throw new ModelError(`${description}: ${file} has no tensor output; expected \`${name}\``, file);
  if (!types.includes(meta.type)) throw new ModelError(`${description}: ${file}: output \`${meta.name}\` is ${meta.type}; expected ${types.join(" or ")}`, file);
  if (meta.shape.length !== rank) throw new ModelError(`${description}: ${file}: output \`${meta.name}\` has rank ${meta.shape.length}; expected rank ${rank}`, file);
  return { name: meta.name, type: meta.type, shape: meta.shape };
}

export function floatTensor(type: FloatType, data: Float32Array, dims: readonly number[]): ort.Tensor {
  return type === "float16" ? new ort.Tensor("float16", float32ToHalfArray(data), dims) : new ort.Tensor("float32", data, dims);
}

export function toFloat32(tensor: ort.Tensor): Float32Array {
  if (tensor.type === "float16") return halfArrayToFloat32(tensor.data as Uint16Array);
  if (tensor.type === "float32") return tensor.data as Float32Array;
  throw new Error(`unexpected output type ${tensor.type}`);
}
