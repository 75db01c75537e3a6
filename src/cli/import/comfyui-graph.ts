import type { SchedulerName } from "../../compiler/plan/plan.js";
import { ImportError } from "./import-error.js";
import { canvasSize, MAX_SCENE_SEED, modelName, type ImportedScene } from "./imported-scene.js";

/**
 * A ComfyUI PNG's `prompt` chunk (the API-format graph: node id → `{ class_type, inputs }`, an
 * input either a value or a link `[node id, output index]`) as a scene, where the graph is a plain
 * txt2img: CheckpointLoaderSimple → CLIPTextEncode ×2 → KSampler ← EmptyLatentImage, then
 * VAEDecode. Anything else on that path is an ImportError that says what was found.
 */

const PLAIN_TXT2IMG = "CheckpointLoaderSimple → CLIPTextEncode ×2 → KSampler ← EmptyLatentImage → VAEDecode";

/** ComfyUI's sampler names that are scenec's schedulers. */
const SAMPLERS: Readonly<Record<string, SchedulerName>> = { euler: "euler", euler_ancestral: "euler_ancestral", lms: "lms", ddim: "ddim", dpmpp_2m: "dpmpp_2m" };

/** Nodes that only show or save the decoded picture: not part of what is imported, and nothing lost. */
const OUTPUT_NODES = new Set(["SaveImage", "PreviewImage"]);

/** Nodes that sample: a plain txt2img has exactly one, a KSampler. */
const SAMPLER_NODES = new Set(["KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"]);

interface GraphNode {
  class_type: string;
  inputs: Record<string, unknown>;
}

type Graph = Record<string, GraphNode>;

function isLink(value: unknown): value is [string, number] {
  return Array.isArray(value) && value.length === 2 && (typeof value[0] === "string" || typeof value[0] === "number") && typeof value[1] === "number";
}

function parseGraph(text: string): Graph {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ImportError(`its ComfyUI \`prompt\` chunk is not JSON: ${(error as Error).message}`);
  }
  const nodes = value !== null && typeof value === "object" && !Array.isArray(value) ? Object.values(value) : [];
  const isNode = (n: unknown) => n !== null && typeof n === "object" && typeof (n as GraphNode).class_type === "string" && typeof (n as GraphNode).inputs === "object" && (n as GraphNode).inputs !== null;
  if (nodes.length === 0 || !nodes.every(isNode)) throw new ImportError("its `prompt` chunk is not a ComfyUI graph in the API format (node id → class_type and inputs)");
  return value as Graph;
}

/** Follows the graph from the KSampler, checking each node on the path is the one a plain txt2img has. */
class Path {
  readonly visited = new Set<string>();

  constructor(private readonly graph: Graph) {}

  describe(id: string): string {
    return `node ${id} (${this.graph[id]?.class_type ?? "missing"})`;
  }

  notPlain(what: string): ImportError {
    return new ImportError(`its ComfyUI graph is not a plain txt2img (${PLAIN_TXT2IMG}): ${what}`);
  }

  /** The node an input links to, which must be of class `expected`. */
  linked(from: string, input: string, expected: string): string {
    const value = this.graph[from]!.inputs[input];
    if (!isLink(value)) throw this.notPlain(`${this.describe(from)} has no link for its \`${input}\``);
    const id = String(value[0]);
    if (this.graph[id]?.class_type !== expected) throw this.notPlain(`the \`${input}\` of ${this.describe(from)} comes from ${this.describe(id)}, not a ${expected}`);
    this.visited.add(id);
    return id;
  }

  /** A node's input that must be a value written in the graph (not a link from another node) of the given type. */
  literal<T extends "string" | "number">(id: string, input: string, type: T): T extends "string" ? string : number {
    const value = this.graph[id]!.inputs[input];
    if (isLink(value)) throw this.notPlain(`the \`${input}\` of ${this.describe(id)} comes from ${this.describe(String(value[0]))}`);
    if (typeof value !== type) throw this.notPlain(`${this.describe(id)} has no ${type} \`${input}\``);
    return value as T extends "string" ? string : number;
  }
}

/** The scene for a ComfyUI `prompt` graph; ImportError when it is not a plain txt2img. */
export function comfyuiScene(text: string): ImportedScene {
  const graph = parseGraph(text);
  const ids = Object.keys(graph);
  const samplers = ids.filter((id) => SAMPLER_NODES.has(graph[id]!.class_type));
  const path = new Path(graph);
  if (samplers.length === 0) throw path.notPlain(`it has no sampler node (its nodes: ${[...new Set(ids.map((id) => graph[id]!.class_type))].join(", ")})`);
  if (samplers.length > 1) throw path.notPlain(`it has ${samplers.length} sampler nodes (${samplers.map((id) => path.describe(id)).join(", ")}): a second pass, such as a hires fix or a refiner, cannot be imported`);
  const sampler = samplers[0]!;
  if (graph[sampler]!.class_type !== "KSampler") throw path.notPlain(`its sampler is ${path.describe(sampler)}, not a KSampler`);
  path.visited.add(sampler);

  const checkpoint = path.linked(sampler, "model", "CheckpointLoaderSimple");
  const positive = path.linked(sampler, "positive", "CLIPTextEncode");
  const negative = path.linked(sampler, "negative", "CLIPTextEncode");
  for (const encoder of [positive, negative]) if (path.linked(encoder, "clip", "CheckpointLoaderSimple") !== checkpoint) throw path.notPlain(`${path.describe(encoder)} uses another checkpoint's CLIP than the KSampler's model`);
  const latent = path.linked(sampler, "latent_image", "EmptyLatentImage");
  const decoders = ids.filter((id) => graph[id]!.class_type === "VAEDecode" && isLink(graph[id]!.inputs["samples"]) && String((graph[id]!.inputs["samples"] as [string, number])[0]) === sampler);
  if (decoders.length === 0) throw path.notPlain(`no VAEDecode decodes the latents of ${path.describe(sampler)}`);
  for (const decoder of decoders) {
    path.visited.add(decoder);
    if (path.linked(decoder, "vae", "CheckpointLoaderSimple") !== checkpoint) throw path.notPlain(`${path.describe(decoder)} uses another checkpoint's VAE`);
  }

  const notes: string[] = [];
  const unmapped: string[] = [];
  const size = canvasSize(path.literal(latent, "width", "number"), path.literal(latent, "height", "number"), notes);
  const scene: ImportedScene = {
    origin: "a ComfyUI PNG",
    ...size,
    prompt: path.literal(positive, "text", "string"),
    negative: path.literal(negative, "text", "string"),
    // ComfyUI draws its initial noise with torch on the CPU.
    noise: "torch",
    notes,
    unmapped,
  };
  const ckpt = path.literal(checkpoint, "ckpt_name", "string");
  scene.model = { name: modelName(ckpt) };

  const seed = path.literal(sampler, "seed", "number");
  if (Number.isSafeInteger(seed) && seed >= 0 && seed <= MAX_SCENE_SEED) scene.seed = seed;
  else unmapped.push(`seed: ${seed} (not a whole number from 0 to ${MAX_SCENE_SEED}; JSON keeps no larger one exactly)`);
  const steps = path.literal(sampler, "steps", "number");
  if (Number.isInteger(steps) && steps >= 1 && steps <= 1000) scene.steps = steps;
  else unmapped.push(`steps: ${steps} (not a whole number from 1 to 1000)`);
  const cfg = path.literal(sampler, "cfg", "number");
  if (cfg >= 0 && cfg <= 50) scene.guidance = cfg;
  else unmapped.push(`cfg: ${cfg} (not from 0 to 50)`);

  const samplerName = path.literal(sampler, "sampler_name", "string");
  const schedule = path.literal(sampler, "scheduler", "string");
  const name = SAMPLERS[samplerName];
  if (name === undefined) unmapped.push(`sampler_name: ${samplerName} (no scenec scheduler is that sampler; scenec's default, lms, is used)`);
  else scene.scheduler = { name, karras: schedule === "karras" };
  if (schedule !== "karras" && schedule !== "normal") unmapped.push(`scheduler: ${schedule} (scenec has karras or the model's own spacing; the model's own is used)`);

  const denoise = graph[sampler]!.inputs["denoise"];
  if (denoise !== undefined && denoise !== 1) unmapped.push(`denoise: ${JSON.stringify(denoise)} (scenec denoises from pure noise)`);
  const batch = graph[latent]!.inputs["batch_size"];
  if (batch !== undefined && batch !== 1) unmapped.push(`batch_size: ${JSON.stringify(batch)} (scenec renders one picture; the first of a batch may start from other noise)`);
  for (const id of ids) {
    const type = graph[id]!.class_type;
    if (!path.visited.has(id) && !OUTPUT_NODES.has(type)) unmapped.push(`${path.describe(id)}: not part of a plain txt2img, left out`);
  }
  return scene;
}
