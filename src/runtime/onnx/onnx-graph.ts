import onnxProto from "onnx-proto";
import { toHalf } from "./float16.js";

const { onnx } = onnxProto;

/**
 * A small builder for ONNX graphs, used to generate the built-in model and the test models that
 * mimic each exporter's signature. It writes real ModelProto bytes (through onnx-proto's
 * generated protobuf code); ONNX Runtime loads them like any exported model.
 */
export type ElemType = "float32" | "float16" | "int32" | "int64";
export type Dim = number | string;

const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

export type AttributeValue = number | string | number[] | { ints: number[] } | { floats: number[] };

export interface ExternalWeights {
  /** The weights file's name, next to the model file (`weights.pb`, `model.onnx_data`). */
  location: string;
  /** Initializers at least this many bytes go to the external file. */
  minBytes: number;
}

export class OnnxGraph {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: { name: string; type: ElemType; dims: number[]; bytes: Uint8Array }[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A constant tensor (an initializer). */
  constant(values: ArrayLike<number> | readonly number[], dims: number[], type: ElemType = "float32", name?: string): string {
    const id = name ?? this.fresh("const");
    const count = dims.reduce((a, b) => a * b, 1);
    if (values.length !== count) throw new Error(`constant ${id}: ${values.length} values for shape [${dims.join(", ")}]`);
    let bytes: Uint8Array;
    if (type === "float32") bytes = new Uint8Array(Float32Array.from(values).buffer);
    else if (type === "int32") bytes = new Uint8Array(Int32Array.from(values).buffer);
    else if (type === "int64") bytes = new Uint8Array(BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(v))).buffer);
    else bytes = new Uint8Array(Uint16Array.from(Array.from(values as ArrayLike<number>, toHalf)).buffer);
    this.initializers.push({ name: id, type, dims, bytes });
    return id;
  }

  scalar(value: number, type: ElemType = "float32"): string {
    return this.constant([value], [], type);
  }

  ints(values: readonly number[]): string {
    return this.constant(values, [values.length], "int64");
  }

  /** One node; returns its output names (as many as `outputs`). */
  nodeN(opType: string, inputs: readonly string[], outputs: number, attributes: Record<string, AttributeValue> = {}): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: [...inputs],
        output: names,
        name: this.fresh(`n_${opType}`),
        attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
      }),
    );
    return names;
  }

  node(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.nodeN(opType, inputs, 1, attributes)[0]!;
  }

  /** Gives an internal value a graph output's name. */
  rename(value: string, name: string): void {
    this.nodes.push(onnx.NodeProto.create({ opType: "Identity", input: [value], output: [name], name: this.fresh("n_Identity") }));
  }

  /**
   * The model's bytes, and the external weights file's bytes when `external` is given (big
   * initializers are then stored there, as the diffusers and optimum exporters do for the UNet).
   */
  build(options: { opset?: number; external?: ExternalWeights; producer?: string } = {}): { model: Uint8Array; weights?: Uint8Array } {
    const chunks: Uint8Array[] = [];
    let offset = 0;
    const initializer = this.initializers.map((t) => {
      const base = { name: t.name, dataType: ELEM[t.type], dims: t.dims };
      if (options.external && t.bytes.length >= options.external.minBytes) {
        const entry = onnx.TensorProto.create({
          ...base,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: "location", value: options.external.location },
            { key: "offset", value: String(offset) },
            { key: "length", value: String(t.bytes.length) },
          ],
        });
        chunks.push(t.bytes);
        offset += t.bytes.length;
        return entry;
      }
      return onnx.TensorProto.create({ ...base, rawData: t.bytes });
    });
    const graph = onnx.GraphProto.create({ name: this.name, node: this.nodes, initializer, input: this.inputs, output: this.outputs });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: "", version: options.opset ?? 20 }],
      producerName: options.producer ?? "scenec",
      graph,
    });
    const bytes = onnx.ModelProto.encode(model).finish();
    if (!options.external) return { model: bytes };
    const weights = new Uint8Array(offset);
    let at = 0;
    for (const c of chunks) {
      weights.set(c, at);
      at += c.length;
    }
    return { model: bytes, weights };
  }
}

function valueInfo(name: string, type: ElemType, dims: Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: ELEM[type], shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } },
  });
}

function attribute(name: string, value: AttributeValue) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === "string") return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value) });
  if (typeof value === "number")
    return Number.isInteger(value) ? onnx.AttributeProto.create({ name, type: T.INT, i: value }) : onnx.AttributeProto.create({ name, type: T.FLOAT, f: value });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: value });
  if ("ints" in value) return onnx.AttributeProto.create({ name, type: T.INTS, ints: value.ints });
  return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: value.floats });
}
