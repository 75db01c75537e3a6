import onnxProto from "onnx-proto";
import { halfArrayToFloat32 } from "./float16.js";

const { onnx } = onnxProto;
type Tensor = InstanceType<typeof onnx.TensorProto>;
type Attribute = onnxProto.onnx.IAttributeProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

/**
 * A float16 model's bytes computing in float32, or undefined when it has no float16 input (or
 * its float16 weights are in an external file, which is left for ONNX Runtime to read as it is).
 *
 * For VAEs whose config says `force_upcast` (SDXL's: its activations overflow float16, so
 * diffusers decodes it in float32): every float16 weight, constant and Cast becomes float32, and
 * so do the inputs, outputs and recorded value types. The weights keep their float16 values
 * exactly (every float16 is a float32); only the arithmetic gains precision and range.
 */
export function float32Model(bytes: Uint8Array): Uint8Array | undefined {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    return undefined; // not a model: ONNX Runtime says what is wrong with it
  }
  const graph = model.graph;
  if (!graph || !graph.input!.some((i) => i.type?.tensorType?.elemType === FLOAT16)) return undefined;
  if (graph.initializer!.some((t) => t.dataType === FLOAT16 && (t.externalData?.length ?? 0) > 0)) return undefined;
  for (const value of [...graph.input!, ...graph.output!, ...graph.valueInfo!]) {
    const tensorType = value.type?.tensorType;
    if (tensorType?.elemType === FLOAT16) tensorType.elemType = FLOAT;
  }
  graph.initializer = (graph.initializer as Tensor[]).map(upcastTensor);
  for (const node of graph.node!)
    node.attribute = (node.attribute as Attribute[]).map((a) => {
      if (a.t) return { ...a, t: upcastTensor(a.t as Tensor) };
      // Cast's `to` (and the dtype attributes of other operators): float16 becomes float32.
      if ((a.name === "to" || a.name === "dtype") && Number(a.i) === FLOAT16) return { ...a, i: FLOAT };
      return a;
    }) as InstanceType<typeof onnx.AttributeProto>[];
  return onnx.ModelProto.encode(model).finish();
}

/** A float16 tensor (its bits in raw_data or int32_data, as ONNX allows) as float32; other tensors as they are. */
function upcastTensor(t: Tensor): Tensor {
  if (t.dataType !== FLOAT16) return t;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  // A copy, aligned: protobufjs decodes bytes as Node Buffers, views into a shared pool.
  const bits = raw ? new Uint16Array(new Uint8Array(raw).buffer, 0, raw.length / 2) : Uint16Array.from(t.int32Data ?? []);
  const values = halfArrayToFloat32(bits);
  return onnx.TensorProto.create({ name: t.name, dims: t.dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
}
