import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
type Graph = InstanceType<typeof onnx.GraphProto>;
type Node = InstanceType<typeof onnx.NodeProto>;
type Attribute = onnxProto.onnx.IAttributeProto;

/** One attention `softmax(Q·Kᵀ)·V` as exported: the three values it reads and the one it writes. */
export interface AttentionMatch {
  /** Q, [..., queries, d] (already scaled, as torch's export of scaled_dot_product_attention writes it). */
  queries: string;
  /** Kᵀ, [..., d, keys]: the second input of the scores' MatMul. */
  keysTransposed: string;
  /** V, [..., keys, dv]. */
  values: string;
  /** The attention's output, [..., queries, dv]: the new nodes must write it. */
  output: string;
  /** The Softmax's attributes (its axis is the last). */
  softmaxAttributes: Attribute[];
}

/** Adds nodes and constants to the graph being rewritten; names are unique per attention. */
export interface NodeWriter {
  /** A node writing one output named `${prefix}_${name}` (or `output` exactly, when given); returns that name. */
  node(opType: string, inputs: string[], name: string, options?: { attributes?: Attribute[]; domain?: string; output?: string }): string;
  /** The name of an int64 constant [value] (shared by every attention). */
  int64(value: number): string;
  /** The name of a float32 scalar constant (shared by every attention). */
  float(value: number): string;
}

export const intAttribute = (name: string, i: number): Attribute => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
export const intsAttribute = (name: string, ints: number[]): Attribute => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });
export const floatAttribute = (name: string, f: number): Attribute => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });

/**
 * A model's bytes with each attention replaced by the nodes `build` writes, or undefined when the
 * bytes are not a model, the model has no attention, or its inputs are float16 (both rewrites that
 * use this made float16 slower on the CPU, and ONNX Runtime's fused CPU kernel is float32 only).
 *
 * The pattern: a MatMul whose only reader is a Softmax over the last axis, whose only reader is a
 * MatMul taking it as its first input — what torch's ONNX export of scaled_dot_product_attention
 * (diffusers' attention) writes. The new nodes take the last MatMul's place in the node list: every
 * input they read is defined before it.
 */
export function rewriteAttentions(bytes: Uint8Array, build: (match: AttentionMatch, writer: NodeWriter) => void, domains: readonly string[] = []): Uint8Array | undefined {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    return undefined; // not a model: ONNX Runtime says what is wrong with it
  }
  const graph = model.graph as Graph | null;
  if (!graph) return undefined;
  if (graph.input.some((input) => input.type?.tensorType?.elemType === onnx.TensorProto.DataType.FLOAT16)) return undefined;
  const nodes = graph.node as Node[];
  const producers = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  for (const node of nodes) {
    for (const output of node.output) producers.set(output, node);
    for (const input of node.input) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  }
  const outputs = new Set(graph.output.map((o) => o.name ?? ""));
  const only = (value: string): Node | undefined => {
    const readers = consumers.get(value) ?? [];
    return readers.length === 1 && !outputs.has(value) ? readers[0] : undefined;
  };

  const constants = new Map<string, InstanceType<typeof onnx.TensorProto>>();
  const constant = (name: string, make: () => InstanceType<typeof onnx.TensorProto>) => {
    if (!constants.has(name)) constants.set(name, make());
    return name;
  };
  const int64 = (value: number) => constant(`scenec_attn_i64_${value}`, () => onnx.TensorProto.create({ name: `scenec_attn_i64_${value}`, dataType: onnx.TensorProto.DataType.INT64, dims: [1], int64Data: [value] }));
  const float = (value: number) => constant(`scenec_attn_f32_${value}`, () => onnx.TensorProto.create({ name: `scenec_attn_f32_${value}`, dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [value] }));

  const replaced = new Map<Node, Node[]>();
  const dropped = new Set<Node>();
  let count = 0;
  for (const softmax of nodes) {
    if (softmax.opType !== "Softmax" || (softmax.domain ?? "") !== "") continue;
    const axisAttribute = softmax.attribute.find((a) => a.name === "axis");
    if (axisAttribute && Number(axisAttribute.i) !== -1) continue;
    const scores = producers.get(softmax.input[0]!);
    const weighted = only(softmax.output[0]!);
    if (!scores || scores.opType !== "MatMul" || only(scores.output[0]!) !== softmax) continue;
    if (!weighted || weighted.opType !== "MatMul" || weighted.input[0] !== softmax.output[0]) continue;

    const prefix = `scenec_attn${count++}`;
    const added: Node[] = [];
    const writer: NodeWriter = {
      node(opType, inputs, name, options = {}) {
        const output = options.output ?? `${prefix}_${name}`;
        added.push(onnx.NodeProto.create({ opType, input: inputs, output: [output], name: `${prefix}_${added.length}`, attribute: options.attributes ?? [], ...(options.domain ? { domain: options.domain } : {}) }));
        return output;
      },
      int64,
      float,
    };
    build({ queries: scores.input[0]!, keysTransposed: scores.input[1]!, values: weighted.input[1]!, output: weighted.output[0]!, softmaxAttributes: softmax.attribute }, writer);
    replaced.set(weighted, added);
    dropped.add(scores).add(softmax);
  }
  if (count === 0) return undefined;
  graph.node = nodes.flatMap((n) => replaced.get(n) ?? (dropped.has(n) ? [] : [n]));
  graph.initializer.push(...constants.values());
  for (const domain of domains)
    if (!model.opsetImport.some((o) => (o.domain ?? "") === domain)) model.opsetImport.push(onnx.OperatorSetIdProto.create({ domain, version: 1 }));
  return onnx.ModelProto.encode(model).finish();
}
