import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
type Graph = InstanceType<typeof onnx.GraphProto>;
type Node = InstanceType<typeof onnx.NodeProto>;

/** decode() builds message instances all the way down; the generated types say so only at the top. */
const nodesOf = (graph: Graph) => graph.node as Node[];

/** Operators that draw random numbers (the default ONNX domain). */
const RANDOM_OPS = new Set(["RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli"]);

/** What the graph must look like around its random node for {@link posteriorMeanModel} to rewrite it. */
export const EXPECTED_SAMPLING = "one RandomNormalLike (or RandomNormal) whose ε goes, through Casts only, into a Mul by the standard deviation and then an Add to the mean (sample = mean + std·ε, as diffusers' ONNX export writes it)";

/** A VAE encoder that draws random numbers in a way {@link posteriorMeanModel} does not recognise. */
export class SamplingPatternError extends Error {
  constructor(found: string) {
    super(`${found}; expected ${EXPECTED_SAMPLING}`);
    this.name = "SamplingPatternError";
  }
}

/**
 * A VAE encoder's ModelProto bytes, made to output the posterior mean instead of a sample of it.
 *
 * diffusers' ONNX export traces `latent_dist.sample()`, so its `latent_sample` is mean + std·ε with
 * ε drawn inside the graph: two encodes of one image differ. The Add that forms the sample becomes
 * an Identity of the mean (the output keeps its name), and the nodes only the sample needed (ε and
 * the standard deviation) are dropped, so nothing random is left to run. A graph with no random
 * node is returned as it is (the same bytes); one whose random node is used any other way throws
 * {@link SamplingPatternError} rather than sample silently. External weight references are kept.
 */
export function posteriorMeanModel(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as Graph | null;
  if (!graph) return bytes;
  const random = nodesOf(graph).filter(isRandom);
  const nested = nodesOf(graph).flatMap((node) => subgraphs(node)).flatMap((g) => allNodes(g).filter(isRandom));
  if (random.length === 0 && nested.length === 0) return bytes;
  if (nested.length > 0) throw new SamplingPatternError(`${describe(nested[0]!)} is inside a subgraph (of an If, Loop or Scan)`);
  if (random.length > 1) throw new SamplingPatternError(`there are ${random.length} random nodes (${random.map(describe).join(", ")})`);

  const noise = random[0]!;
  if (noise.opType !== "RandomNormalLike" && noise.opType !== "RandomNormal") throw new SamplingPatternError(`the random node is ${describe(noise)}`);
  const consumers = consumersOf(graph);
  const outputs = new Set(graph.output.map((o) => o.name ?? ""));
  /** The one node reading `value`; ε and its products must feed nothing else, not even a graph output. */
  const soleConsumer = (value: string, what: string): Node => {
    const readers = consumers.get(value) ?? [];
    if (outputs.has(value)) throw new SamplingPatternError(`${what} \`${value}\` is itself a graph output`);
    if (readers.length !== 1) throw new SamplingPatternError(`${what} \`${value}\` is read by ${readers.length === 0 ? "no node" : readers.map(describe).join(", ")}`);
    return readers[0]!;
  };

  let epsilon = noise.output[0]!;
  let next = soleConsumer(epsilon, "ε");
  while (next.opType === "Cast") {
    epsilon = next.output[0]!;
    next = soleConsumer(epsilon, "ε");
  }
  const mul = next;
  if (mul.opType !== "Mul" || mul.input.length !== 2 || mul.input.filter((i) => i === epsilon).length !== 1) throw new SamplingPatternError(`ε goes into ${describe(mul)}`);
  const scaled = mul.output[0]!;
  const add = soleConsumer(scaled, "std·ε");
  if (add.opType !== "Add" || add.input.length !== 2 || add.input.filter((i) => i === scaled).length !== 1) throw new SamplingPatternError(`std·ε goes into ${describe(add)}`);
  const mean = add.input.find((i) => i !== scaled)!;

  // The sample's node now passes the mean through, under the same output name.
  add.opType = "Identity";
  add.input = [mean];
  add.attribute = [];
  pruneDeadNodes(graph);
  return onnx.ModelProto.encode(model).finish();
}

function isRandom(node: Node): boolean {
  return (node.domain === "" || node.domain === "ai.onnx") && RANDOM_OPS.has(node.opType);
}

function describe(node: Node): string {
  return node.name ? `${node.opType} \`${node.name}\`` : node.opType;
}

function subgraphs(node: Node): Graph[] {
  return node.attribute.flatMap((a) => [...(a.g ? [a.g as Graph] : []), ...((a.graphs ?? []) as Graph[])]);
}

/** A graph's nodes and those of every subgraph in it. */
function allNodes(graph: Graph): Node[] {
  return nodesOf(graph).flatMap((node) => [node, ...subgraphs(node).flatMap(allNodes)]);
}

function consumersOf(graph: Graph): Map<string, Node[]> {
  const consumers = new Map<string, Node[]>();
  for (const node of nodesOf(graph))
    for (const input of node.input) {
      const list = consumers.get(input);
      if (list) {
        if (!list.includes(node)) list.push(node);
      } else consumers.set(input, [node]);
    }
  return consumers;
}

/**
 * Keeps only the nodes that graph outputs depend on, and the initializers and value infos those
 * nodes still use. A subgraph may read outer values by name, so everything a kept node's
 * subgraphs read counts as used.
 */
function pruneDeadNodes(graph: Graph): void {
  const producer = new Map<string, Node>();
  for (const node of nodesOf(graph)) for (const output of node.output) producer.set(output, node);
  const live = new Set<Node>();
  const used = new Set<string>();
  const pending = graph.output.map((o) => o.name ?? "");
  while (pending.length > 0) {
    const value = pending.pop()!;
    if (used.has(value)) continue;
    used.add(value);
    const node = producer.get(value);
    if (!node || live.has(node)) continue;
    live.add(node);
    pending.push(...node.input, ...subgraphs(node).flatMap(allNodes).flatMap((n) => n.input));
  }
  graph.node = nodesOf(graph).filter((node) => live.has(node));
  const inputs = new Set(graph.input.map((i) => i.name ?? ""));
  // An initializer that is also a graph input stays: removing it would turn it into a required input.
  graph.initializer = graph.initializer.filter((t) => used.has(t.name ?? "") || inputs.has(t.name ?? ""));
  graph.valueInfo = graph.valueInfo.filter((v) => used.has(v.name ?? ""));
}
