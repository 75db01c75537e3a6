import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
type Graph = InstanceType<typeof onnx.GraphProto>;
type Node = InstanceType<typeof onnx.NodeProto>;

/**
 * How many slices of the queries each attention is cut into. Memory for one attention's scores
 * is divided by this; every slice adds nodes, and ONNX Runtime's graph optimisation time grows
 * faster than their number. Measured on the tiny SD 1.5 UNet, one region, 2 steps, peak RSS at 256²
 * and 640² (bench/attention-memory.ts), and the model's load time: unsliced 494 MB and 11.3 GB,
 * 0.4 s; 32 slices 246 and 915 MB (ratio 3.7), 0.8 s; 64 slices 255 and 755 MB (3.0); 128 slices
 * 265 and 686 MB (2.6), but 6.3 s. 32 keeps loading fast; the speed per step is the same within
 * 10 % for all (and 3x faster than unsliced at 640²).
 */
export const ATTENTION_SLICES = 32;

const nodesOf = (graph: Graph) => graph.node as Node[];

/**
 * A UNet's ModelProto bytes with every attention `softmax(Q·Kᵀ)·V` computed in slices of the
 * queries, or undefined when the graph has none.
 *
 * torch's ONNX export of `scaled_dot_product_attention` (what diffusers' UNets call) writes the
 * full score matrix, [batch, heads, queries, keys] floats per attention: its memory grows with the
 * square of the tile's area. The softmax runs along the keys, so each query row is independent:
 * `Q` is sliced along the query axis (the one before last) into {@link ATTENTION_SLICES} parts,
 * each part runs MatMul → Softmax → MatMul, and the results are concatenated (Q is first padded
 * with zero rows to a multiple of the slices, and the output cut back). The arithmetic per
 * row is unchanged, though the matrix kernels may round some last bits differently for slices of a
 * few rows (a 128² render of the tiny SD 1.5 UNet: 2e-6 relative L2; every conformance case still
 * passes), and ONNX Runtime frees each slice's scores before the next, so the live score memory is a
 * slice's. Slice sizes are computed from Q's shape at run
 * time (`ceil(queries / slices)` rows each), so any tile size works. The pattern: a MatMul whose only reader is a Softmax over
 * the last axis whose only reader is a MatMul taking it as its first input.
 *
 * A graph with float16 inputs is left as exported: on the CPU its 128 slices per attention made a
 * 2-step 256² render of the tiny fp16 UNet take 42 s instead of 4 s; whether slicing pays for
 * float16 on a GPU is still to be measured.
 */
export function slicedAttentionModel(bytes: Uint8Array, slices = ATTENTION_SLICES): Uint8Array | undefined {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    return undefined; // not a model: ONNX Runtime says what is wrong with it
  }
  const graph = model.graph as Graph | null;
  if (!graph) return undefined;
  if (graph.input.some((input) => input.type?.tensorType?.elemType === onnx.TensorProto.DataType.FLOAT16)) return undefined;
  const producers = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  for (const node of nodesOf(graph)) {
    for (const output of node.output) producers.set(output, node);
    for (const input of node.input) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  }
  const outputs = new Set(graph.output.map((o) => o.name ?? ""));
  const only = (value: string): Node | undefined => {
    const readers = consumers.get(value) ?? [];
    return readers.length === 1 && !outputs.has(value) ? readers[0] : undefined;
  };

  const replaced = new Map<Node, Node[]>();
  const dropped = new Set<Node>();
  const constants: InstanceType<typeof onnx.TensorProto>[] = [];
  const int64 = (name: string, value: number) => {
    constants.push(onnx.TensorProto.create({ name, dataType: onnx.TensorProto.DataType.INT64, dims: [1], int64Data: [value] }));
    return name;
  };
  const axis = int64("scenec_attn_query_axis", -2);
  const slicesMinusOne = int64("scenec_attn_slices_minus_one", slices - 1);
  const sliceCount = int64("scenec_attn_slices", slices);
  const multipliers = Array.from({ length: slices + 1 }, (_, i) => int64(`scenec_attn_times_${i}`, i));
  const zero = int64("scenec_attn_zero", 0);
  const minusOne = int64("scenec_attn_minus_one", -1);
  const end = int64("scenec_attn_end", Number.MAX_SAFE_INTEGER);
  constants.push(onnx.TensorProto.create({ name: "scenec_attn_fill", dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [0] }));

  let count = 0;
  for (const softmax of nodesOf(graph)) {
    if (softmax.opType !== "Softmax" || (softmax.domain ?? "") !== "") continue;
    const axisAttribute = softmax.attribute.find((a) => a.name === "axis");
    if (axisAttribute && Number(axisAttribute.i) !== -1) continue;
    const scores = producers.get(softmax.input[0]!);
    const weighted = only(softmax.output[0]!);
    if (!scores || scores.opType !== "MatMul" || only(scores.output[0]!) !== softmax) continue;
    if (!weighted || weighted.opType !== "MatMul" || weighted.input[0] !== softmax.output[0]) continue;

    const p = `scenec_attn${count++}`;
    const [queries, keys] = scores.input as [string, string];
    const values = weighted.input[1]!;
    const added: Node[] = [];
    const node = (opType: string, inputs: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []) => {
      added.push(onnx.NodeProto.create({ opType, input: inputs, output: [output], name: `${p}_${added.length}`, attribute }));
      return output;
    };
    // chunk = ceil(queries / slices), from Q's shape at run time. Q gets zero rows up to
    // slices · chunk, so that no slice is empty (WebGPU cannot dispatch an empty Softmax); the
    // output loses them again.
    const shape = node("Shape", [queries], `${p}_shape`);
    const rows = node("Gather", [shape, axis], `${p}_rows`);
    const chunk = node("Div", [node("Add", [rows, slicesMinusOne], `${p}_rows_up`), sliceCount], `${p}_chunk`);
    const padRows = node("Sub", [node("Mul", [chunk, sliceCount], `${p}_padded_rows`), rows], `${p}_pad_rows`);
    const padShape = node("Concat", [node("Slice", [shape, zero, axis], `${p}_lead`), padRows, node("Slice", [shape, minusOne, end], `${p}_width`)], `${p}_pad_shape`, [
      onnx.AttributeProto.create({ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 0 }),
    ]);
    const padded = node("Concat", [queries, node("Expand", ["scenec_attn_fill", padShape], `${p}_pad`)], `${p}_padded`, [
      onnx.AttributeProto.create({ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: -2 }),
    ]);
    const bounds = multipliers.map((m, i) => node("Mul", [chunk, m], `${p}_bound${i}`));
    const parts = bounds.slice(0, slices).map((start, i) => {
      const q = node("Slice", [padded, start, bounds[i + 1]!, axis], `${p}_q${i}`);
      const s = node("MatMul", [q, keys], `${p}_scores${i}`);
      const w = node("Softmax", [s], `${p}_weights${i}`, softmax.attribute);
      return node("MatMul", [w, values], `${p}_out${i}`);
    });
    const joined = node("Concat", parts, `${p}_joined`, [onnx.AttributeProto.create({ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: -2 })]);
    added.push(onnx.NodeProto.create({ opType: "Slice", input: [joined, zero, rows, axis], output: [weighted.output[0]!], name: `${p}_unpad` }));
    // The new nodes take the last node's place: every input they read is defined before it.
    replaced.set(weighted, added);
    dropped.add(scores).add(softmax);
  }
  if (count === 0) return undefined;
  graph.node = nodesOf(graph).flatMap((n) => replaced.get(n) ?? (dropped.has(n) ? [] : [n]));
  graph.initializer.push(...constants);
  return onnx.ModelProto.encode(model).finish();
}
