import onnxProto from "onnx-proto";
import { halfArrayToFloat32 } from "../onnx/float16.js";
import type { DecoderProfile } from "./decoder-cost.js";

const { onnx } = onnxProto;

type NodeProto = InstanceType<typeof onnx.NodeProto>;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type GraphProto = InstanceType<typeof onnx.GraphProto>;

/**
 * A VAE decoder graph cut into steps that run one after the other over every tile of a canvas:
 * plain `segment`s (sub-graphs that only look at a neighbourhood, run tile by tile), and at each
 * point where the graph looks at the whole picture a step that does so over the whole canvas:
 * a `groupNorm` (statistics of the canvas, not of the tile) or a `gather` (an attention's keys
 * and values for every position of the canvas).
 */
export type DecoderStep = SegmentStep | GroupNormStep | GatherStep;

export interface SegmentStep {
  kind: "segment";
  nodes: NodeProto[];
  /** Values it reads that earlier steps (or the graph input) made. */
  inputs: string[];
  /** Values it makes that later steps read, or the graph output. */
  outputs: string[];
  /** Inputs to take from the canvas-wide values that `gather` and `groupNorm` steps made, not from the tile. */
  canvasInputs: string[];
  /** The gathered inputs among them (they have the names of per-tile values too). */
  canvasKeys?: string[];
  /** For an attention core: the input whose rows (axis -2) are queries, so the step can run on slices of them. */
  queries?: string;
}

/**
 * torch's GroupNorm as exported: Reshape(x, [0, G, -1]) → InstanceNormalization (→ Reshape → Mul
 * → Add). This step measures x's per-group mean and variance over the canvas and turns them, with
 * the InstanceNormalization's scale and bias, into the factors `a` and `b` ([1, G, 1], float32);
 * the next segment computes the InstanceNormalization's output as x·a + b in its place.
 */
export interface GroupNormStep {
  kind: "groupNorm";
  /** The tensor [1, C, h, w] (or [1, C, h·w]) that is normalised. */
  input: string;
  groups: number;
  epsilon: number;
  scale: Float32Array;
  bias: Float32Array;
  a: string;
  b: string;
}

/** A tensor whose spatial positions (flattened row-major, along `axis`) are gathered from every tile's core into one canvas-wide tensor. */
export interface GatherStep {
  kind: "gather";
  value: string;
  axis: -1 | -2;
}

export interface DecoderPlan {
  input: string;
  output: string;
  steps: DecoderStep[];
  /** The element type of the graph's input. */
  inputType: ElementType;
  /**
   * How far (in latent elements, rounded up) the output's cores depend on a value around each
   * position: what a tile must keep of it beyond its core. Infinity where the graph does not
   * say (an op this does not know the reach of).
   */
  reach: ReadonlyMap<string, number>;
  /** Its memory and work per latent element (decoder-cost.ts). */
  profile: DecoderProfile;
  /** A segment as a model of its own, its inputs declared with the element types the earlier steps' tensors have. */
  segmentModel(step: SegmentStep, types: ReadonlyMap<string, ElementType>): Uint8Array;
}

/** ONNX Runtime's names for the element types a decoder's values can have. */
export type ElementType = "float32" | "float16" | "int64" | "int32" | "bool";

const ELEMENT: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

/**
 * Cuts a decoder graph at each GroupNorm and around each attention's MatMul → Softmax → MatMul,
 * or says why it cannot (then the caller decodes with cross-faded tiles). A graph with no
 * GroupNorm and no attention needs no cutting: its tiles are independent.
 */
export function planDecoder(bytes: Uint8Array, externalData: (location: string) => Uint8Array | undefined): DecoderPlan | { reason: string } {
  const model = onnx.ModelProto.decode(bytes);
  // Decoded messages have every repeated field (as an empty array when absent).
  const graph = model.graph as GraphProto | null;
  if (!graph || graph.input.length === 0 || graph.output.length !== 1) return { reason: "the decoder graph does not have one input and one output" };
  const initializers = new Map((graph.initializer as TensorProto[]).map((t) => [t.name, t]));
  for (const t of initializers.values()) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const entry = (key: string) => t.externalData!.find((e) => e.key === key)?.value;
    const file = externalData(entry("location") ?? "");
    if (!file) return { reason: `its external weights file ${entry("location")} cannot be read` };
    const offset = Number(entry("offset") ?? 0);
    // Inlined: each segment is a model of its own, given as bytes.
    t.rawData = file.subarray(offset, entry("length") !== undefined ? offset + Number(entry("length")) : file.length);
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    t.externalData = [];
  }
  const input = graph.input.map((i) => i.name ?? "").find((name) => !initializers.has(name))!;
  const output = graph.output[0]!.name ?? "";
  const nodes = graph.node as NodeProto[];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.output.forEach((o) => producer.set(o, i)));
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => n.input.forEach((v) => v && consumers.set(v, [...(consumers.get(v) ?? []), i])));

  // Nodes computed from weights alone (Constant, Identity of an initializer, ...): each segment that needs one gets its own copy.
  const isStatic = new Set<number>();
  const staticValue = (v: string) => v === "" || initializers.has(v) || (producer.has(v) && isStatic.has(producer.get(v)!));
  nodes.forEach((n, i) => {
    if (n.input.every(staticValue) && n.opType !== "RandomNormal" && n.opType !== "RandomUniform") isStatic.add(i);
  });
  const weight = (v: string): TensorProto | undefined => {
    const from = nodes[producer.get(v) ?? -1];
    // The fp16 conversion casts some constants (a Resize's scales) back to float32.
    if (from && (from.opType === "Cast" || from.opType === "Identity")) return weight(from.input[0]!);
    return initializers.get(v) ?? constantTensor(from);
  };
  const constant = (v: string): Float32Array | undefined => {
    const t = weight(v);
    return t ? tensorValues(t) : undefined;
  };

  const norms = new Map<number, { step: GroupNormStep; nodes: NodeProto[] }>();
  const skipped = new Set<number>();
  for (const [i, n] of nodes.entries()) {
    if (n.opType !== "InstanceNormalization") continue;
    const reshape = nodes[producer.get(n.input[0]!) ?? -1];
    const scale = constant(n.input[1] ?? "");
    const bias = constant(n.input[2] ?? "");
    if (!reshape || reshape.opType !== "Reshape" || consumers.get(n.input[0]!)?.length !== 1 || !scale || !bias || scale.length !== bias.length)
      return { reason: `InstanceNormalization ${n.name || n.output[0]} is not torch's GroupNorm pattern (Reshape → InstanceNormalization with constant scale and bias)` };
    const epsilon = n.attribute.find((a) => a.name === "epsilon")?.f ?? 1e-5;
    const out = n.output[0]!;
    const step: GroupNormStep = { kind: "groupNorm", input: reshape.input[0]!, groups: scale.length, epsilon, scale, bias, a: `${out}/scenec_a`, b: `${out}/scenec_b` };
    // In float32 whatever the model's type, as ONNX Runtime's InstanceNormalization computes.
    const type = (initializers.get(n.input[1]!) ?? constantTensor(nodes[producer.get(n.input[1]!) ?? -1]))!.dataType;
    const f32 = `${out}/scenec_f32`;
    const scaled = type === onnx.TensorProto.DataType.FLOAT ? out : `${out}/scenec_affine`;
    const affine = [
      node("Cast", [n.input[0]!], `${out}/scenec_f32`, { to: onnx.TensorProto.DataType.FLOAT }),
      node("Mul", [f32, step.a], `${out}/scenec_scaled`),
      node("Add", [`${out}/scenec_scaled`, step.b], scaled),
      ...(scaled === out ? [] : [node("Cast", [scaled], out, { to: type })]),
    ];
    norms.set(i, { step, nodes: [reshape, ...affine] });
    skipped.add(producer.get(n.input[0]!)!);
  }

  // Attention cores: MatMul(q, kT) → [elementwise] → Softmax(last axis) → MatMul(·, v).
  const cores = new Map<number, { end: number; k: string; v: string; q: string }>();
  for (const n of nodes) {
    if (n.opType !== "Softmax") continue;
    const axis = Number(n.attribute.find((a) => a.name === "axis")?.i ?? -1);
    let first = producer.get(n.input[0]!);
    while (first !== undefined && nodes[first]!.opType !== "MatMul" && ELEMENTWISE.has(nodes[first]!.opType)) first = producer.get(nodes[first]!.input[0]!);
    const uses = consumers.get(n.output[0]!) ?? [];
    let last = uses.length === 1 ? uses[0] : undefined;
    while (last !== undefined && nodes[last]!.opType !== "MatMul" && ELEMENTWISE.has(nodes[last]!.opType)) {
      const next: number[] = consumers.get(nodes[last]!.output[0]!) ?? [];
      last = next.length === 1 ? next[0] : undefined;
    }
    if (first === undefined || last === undefined || nodes[first]!.opType !== "MatMul" || axis !== -1)
      return { reason: `Softmax ${n.name || n.output[0]} is not an attention's MatMul → Softmax(axis -1) → MatMul` };
    const [q, k] = nodes[first]!.input as [string, string];
    const v = nodes[last]!.input[1]!;
    if (!((producer.get(k) ?? -1) < first) || !((producer.get(v) ?? -1) < first)) return { reason: `the attention at ${n.name || n.output[0]} computes its keys or values after its scores` };
    cores.set(first, { end: last, k, v, q });
  }

  const steps: DecoderStep[] = [];
  let current: NodeProto[] = [];
  const close = (extra: Partial<SegmentStep> = {}) => {
    if (current.length > 0) steps.push({ kind: "segment", nodes: current, inputs: [], outputs: [], canvasInputs: [], ...extra });
    current = [];
  };
  for (let i = 0; i < nodes.length; i++) {
    if (isStatic.has(i) || skipped.has(i)) continue;
    const norm = norms.get(i);
    const core = cores.get(i);
    if (norm) {
      close();
      steps.push(norm.step);
      current.push(...norm.nodes);
    } else if (core) {
      close();
      steps.push({ kind: "gather", value: core.k, axis: -1 }, { kind: "gather", value: core.v, axis: -2 });
      for (let j = i; j <= core.end; j++) if (!isStatic.has(j)) current.push(nodes[j]!);
      close({ canvasKeys: [core.k, core.v], queries: core.q });
      i = core.end;
    } else current.push(nodes[i]!);
  }
  close();

  // Each segment's inputs: what its nodes read from outside it; outputs: what later steps read.
  const reads = steps.map((step) => {
    if (step.kind === "groupNorm") return new Set([step.input]);
    if (step.kind === "gather") return new Set([step.value]);
    return new Set(step.nodes.flatMap((n) => n.input).filter((v) => v && !staticValue(v)));
  });
  const made = new Set([input]);
  const canvas = new Set<string>();
  steps.forEach((step, s) => {
    if (step.kind === "groupNorm") [step.a, step.b].forEach((v) => made.add(v) && canvas.add(v));
    if (step.kind !== "segment") return;
    const own = new Set(step.nodes.flatMap((n) => n.output));
    step.inputs = [...reads[s]!].filter((v) => !own.has(v));
    step.canvasInputs = step.inputs.filter((v) => canvas.has(v) || step.canvasKeys?.includes(v));
    const later = new Set(reads.slice(s + 1).flatMap((r) => [...r]));
    step.outputs = [...own].filter((v) => later.has(v) || v === output);
    const missing = step.inputs.find((v) => !made.has(v));
    if (missing !== undefined) throw new Error(`decoder plan: ${missing} is read before it is made`);
    step.outputs.forEach((v) => made.add(v));
  });
  const segmentModel = (step: SegmentStep, types: ReadonlyMap<string, ElementType>): Uint8Array => {
    // The weights-only nodes it needs, in graph order, then its own nodes.
    const needed = new Set<number>();
    const need = (v: string) => {
      const p = producer.get(v);
      if (p === undefined || !isStatic.has(p) || needed.has(p)) return;
      needed.add(p);
      nodes[p]!.input.forEach(need);
    };
    step.nodes.forEach((n) => n.input.forEach(need));
    const all = [...[...needed].sort((a, b) => a - b).map((i) => nodes[i]!), ...step.nodes];
    const used = new Set(all.flatMap((n) => n.input));
    const valueInfo = (name: string, type?: ElementType) =>
      onnx.ValueInfoProto.create({ name, ...(type ? { type: { tensorType: { elemType: ELEMENT[type] } } } : {}) });
    const sub = onnx.GraphProto.create({
      name: `${graph.name}_segment`,
      node: all,
      initializer: [...initializers.values()].filter((t) => used.has(t.name)),
      input: step.inputs.map((v) => {
        const type = types.get(v);
        if (!type) throw new Error(`decoder plan: no element type for ${v}`);
        return valueInfo(v, type);
      }),
      output: step.outputs.map((v) => graph.valueInfo.find((i) => i.name === v) ?? graph.output.find((o) => o.name === v) ?? valueInfo(v)),
    });
    return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: model.irVersion, opsetImport: model.opsetImport, producerName: "scenec", graph: sub })).finish();
  };
  const inputInfo = graph.input.find((i) => i.name === input)!;
  const inputType = (Object.keys(ELEMENT) as ElementType[]).find((t) => ELEMENT[t] === inputInfo.type?.tensorType?.elemType);
  if (inputType !== "float32" && inputType !== "float16") return { reason: "the decoder's input is neither float32 nor float16" };
  const scale = resolutions(nodes, isStatic, constant);
  const reach = receptiveReach(nodes, isStatic, output, scale, initializers, cores);
  const convs = nodes.flatMap((n, i) => {
    if (isStatic.has(i) || n.opType !== "Conv") return [];
    const [cout = NaN, perGroup = NaN, kh = 1, kw = 1] = weight(n.input[1]!)?.dims?.map(Number) ?? [];
    const group = Number(n.attribute.find((a) => a.name === "group")?.i ?? 1);
    const [sin, sout] = [scale.get(n.input[0]!) ?? 1, scale.get(n.output[0]!) ?? 1];
    return [{ cost: cout * perGroup * kh * kw * sout ** 2, values: Math.max(perGroup * group * sin ** 2, cout * sout ** 2), reach: reach.get(n.input[0]!) ?? Infinity }];
  });
  const attentions = [...cores.values()].map((c) => (scale.get(c.q) ?? 1) ** 2);
  const profile: DecoderProfile = { elementBytes: inputType === "float16" ? 2 : 4, convs, attentions };
  return { input, output, steps, inputType, reach, profile, segmentModel };
}

/** Each value's resolution in pixels per latent element along a side, from a forward pass (a Resize scales it, a strided Conv divides it). */
function resolutions(nodes: readonly NodeProto[], isStatic: ReadonlySet<number>, constant: (v: string) => Float32Array | undefined): Map<string, number> {
  const scale = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (isStatic.has(i)) return;
    let s = Math.max(1, ...n.input.map((v) => scale.get(v) ?? 1));
    if (n.opType === "Resize") s *= constant(n.input[2] ?? "")?.[3] ?? NaN;
    if (n.opType === "Conv") s /= Number(attr(n, "strides")?.ints?.[1] ?? 1);
    n.output.forEach((o) => scale.set(o, s));
  });
  return scale;
}

function attr(n: NodeProto, name: string) {
  return n.attribute.find((a) => a.name === name);
}

/** Ops whose output depends on a neighbourhood that {@link receptiveReach} does not measure. */
const SPATIAL = new Set(["ConvTranspose", "MaxPool", "AveragePool", "LpPool", "Pad", "GlobalAveragePool", "GlobalMaxPool", "DepthToSpace", "SpaceToDepth", "Col2Im"]);

/**
 * Each value's reach (see {@link DecoderPlan.reach}): a backward pass over the graph from the
 * output (reach 0), adding each Conv's radius and each linear Resize's one input pixel, in latent
 * elements at each value's resolution ({@link resolutions}). An attention's keys and values are gathered from the cores alone (reach 0 there).
 */
function receptiveReach(
  nodes: readonly NodeProto[],
  isStatic: ReadonlySet<number>,
  output: string,
  scale: ReadonlyMap<string, number>,
  initializers: ReadonlyMap<string, TensorProto>,
  cores: ReadonlyMap<number, { end: number; k: string; v: string }>,
): Map<string, number> {
  const radius = (n: NodeProto): number => {
    const s = scale.get(n.input[0]!) ?? 1;
    if (n.opType === "Conv") {
      const kernel = Number(attr(n, "kernel_shape")?.ints?.[1] ?? initializers.get(n.input[1]!)?.dims?.[3] ?? NaN);
      const dilation = Number(attr(n, "dilations")?.ints?.[1] ?? 1);
      return (dilation * (kernel - 1)) / 2 / s;
    }
    if (n.opType === "Resize") return new TextDecoder().decode(attr(n, "mode")?.s ?? new Uint8Array()) === "nearest" ? 0 : 1 / s;
    return SPATIAL.has(n.opType) ? Infinity : 0;
  };
  const gathered = new Set([...cores.values()].flatMap((c) => [c.k, c.v]));
  const reach = new Map<string, number>([[output, 0]]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (isStatic.has(i)) continue;
    const n = nodes[i]!;
    const out = Math.max(...n.output.map((o) => reach.get(o) ?? -Infinity));
    if (out === -Infinity) continue;
    const r = out + radius(n);
    for (const v of n.input) {
      const own = gathered.has(v) && n.opType === "MatMul" ? 0 : Number.isNaN(r) ? Infinity : r;
      reach.set(v, Math.max(reach.get(v) ?? -Infinity, own));
    }
  }
  for (const [v, r] of reach) reach.set(v, Math.ceil(r - 1e-9));
  return reach;
}

function node(opType: string, input: string[], output: string, attributes: Record<string, number> = {}): NodeProto {
  const attribute = Object.entries(attributes).map(([name, i]) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i }));
  return onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute });
}

/** Single-input ops that can stand between an attention's MatMuls and its Softmax (scaling, casts). */
const ELEMENTWISE = new Set(["Mul", "Div", "Add", "Cast", "Where"]);

function constantTensor(node: NodeProto | undefined): TensorProto | undefined {
  if (!node || node.opType !== "Constant") return undefined;
  return (node.attribute.find((a) => a.name === "value")?.t as TensorProto | null | undefined) ?? undefined;
}

/** A float tensor's values (float32, float16 or float64, raw or typed). */
function tensorValues(t: TensorProto): Float32Array | undefined {
  const T = onnx.TensorProto.DataType;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (t.dataType === T.FLOAT) return raw ? new Float32Array(copy(raw).buffer) : Float32Array.from(t.floatData);
  if (t.dataType === T.DOUBLE) return raw ? Float32Array.from(new Float64Array(copy(raw).buffer)) : Float32Array.from(t.doubleData);
  if (t.dataType === T.FLOAT16) {
    const bits = raw ? new Uint16Array(copy(raw).buffer) : Uint16Array.from(t.int32Data);
    return halfArrayToFloat32(bits);
  }
  return undefined;
}

/** An aligned copy (protobufjs may hand out a view into a Node Buffer, whose `slice` does not copy). */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
