import type { NoiseGenerator, SchedulerName } from "../../compiler/plan/plan.js";
import { A1111_RNG, A1111_SAMPLERS } from "../a1111-samplers.js";
import { infotextSize, parseInfotext } from "./a1111-infotext.js";
import { ImportError } from "./import-error.js";
import { canvasSize, MAX_SCENE_SEED, modelName, type ImportedScene } from "./imported-scene.js";

/**
 * An A1111 infotext as a scene: its sampler, schedule type, CFG scale, seed, RNG, size and
 * prompts mapped to scenec's settings, every other key listed as not mapped.
 */

/** A1111's sampler labels that are one of scenec's schedulers: the table `parameters` writes, read back. */
const SAMPLERS: Readonly<Record<string, SchedulerName>> = Object.fromEntries(Object.entries(A1111_SAMPLERS).map(([ours, theirs]) => [theirs, ours as SchedulerName]));

/**
 * A1111's schedule types (modules/sd_schedulers.py): name, label and aliases, in its order, for
 * reading a label written after the sampler's (`DPM++ 2M Karras`, A1111 before 1.9).
 */
const SCHEDULE_TYPES: readonly (readonly string[])[] = [
  ["automatic", "Automatic"],
  ["uniform", "Uniform"],
  ["karras", "Karras"],
  ["exponential", "Exponential"],
  ["polyexponential", "Polyexponential"],
  ["sgm_uniform", "SGM Uniform", "SGMUniform"],
  ["kl_optimal", "KL Optimal"],
  ["align_your_steps", "Align Your Steps"],
  ["simple", "Simple"],
  ["normal", "Normal"],
  ["ddim", "DDIM"],
  ["beta", "Beta"],
];

/** The keys this mapping reads; every other key is reported as not mapped. */
const MAPPED_KEYS = new Set(["Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model", "Model hash", "RNG", "Version"]);

/**
 * The sampler and its schedule type, as A1111's `get_sampler_and_scheduler` splits them: a
 * schedule label at the end of the sampler's name wins over the `Schedule type` key. Without
 * either, the sampler ran on the model's own σ spacing (A1111 from 1.9 writes the schedule type
 * whenever one was applied, `Karras` included), which is scenec's schedule without `karras`.
 */
function samplerAndSchedule(sampler: string, scheduleType: string | undefined): { sampler: string; schedule: readonly string[] | undefined } {
  let name = sampler;
  let schedule = scheduleType === undefined ? undefined : SCHEDULE_TYPES.find((s) => s.includes(scheduleType));
  for (const options of SCHEDULE_TYPES) {
    const suffix = options.find((option) => name.endsWith(` ${option}`));
    if (suffix !== undefined) {
      schedule = options;
      name = name.slice(0, -(suffix.length + 1));
    }
  }
  return { sampler: name, schedule };
}

/** A whole decimal number, as Python's `int()` reads one (no hex, no exponent), or undefined. */
function integer(text: string): bigint | undefined {
  return /^[+-]?\d+$/.test(text.trim()) ? BigInt(text.trim()) : undefined;
}

/** A decimal number, as Python's `float()` reads the ones A1111 writes, or undefined. */
function decimal(text: string): number | undefined {
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim()) ? Number(text.trim()) : undefined;
}

/** The scene for an A1111 `parameters` text; ImportError when it has no settings line. */
export function a1111Scene(infotext: string): ImportedScene {
  const { prompt, negativePrompt, params } = parseInfotext(infotext);
  // A1111 always ends with its settings; a `parameters` chunk without them is another tool's (Fooocus writes JSON there).
  if (params.size === 0) throw new ImportError("its `parameters` text has no line of settings (`Steps: …, Sampler: …, Seed: …`): it is not an A1111 infotext");
  const notes: string[] = [];
  const unmapped: string[] = [];
  const version = params.get("Version");
  const scene: ImportedScene = { origin: `an AUTOMATIC1111 PNG${version !== undefined ? ` (${version})` : ""}`, width: 512, height: 512, prompt, negative: negativePrompt, notes, unmapped };
  const keep = (key: string, why?: string) => unmapped.push(`${key}: ${params.get(key)}${why ? ` (${why})` : ""}`);

  const sizeText = params.get("Size");
  const size = sizeText !== undefined ? infotextSize(sizeText) : undefined;
  if (size) Object.assign(scene, canvasSize(size.width, size.height, notes));
  else if (sizeText !== undefined) keep("Size", "not WIDTHxHEIGHT; the canvas is 512 x 512");
  else notes.push("no Size recorded: the canvas is 512 x 512, A1111's default");

  const steps = params.has("Steps") ? integer(params.get("Steps")!) : undefined;
  if (steps !== undefined && steps >= 1n && steps <= 1000n) scene.steps = Number(steps);
  else if (params.has("Steps")) keep("Steps", "not a whole number from 1 to 1000");

  const cfg = params.has("CFG scale") ? decimal(params.get("CFG scale")!) : undefined;
  if (cfg !== undefined && cfg >= 0 && cfg <= 50) scene.guidance = cfg;
  else if (params.has("CFG scale")) keep("CFG scale", "not a number from 0 to 50");

  const rng = params.get("RNG") ?? "GPU"; // absent: A1111's default, the GPU's generator
  // A1111's GPU seeds are torch CUDA's Philox, which its NV generator reimplements: scenec's philox.
  const noise = rng === "GPU" ? "philox" : (Object.keys(A1111_RNG) as NoiseGenerator[]).find((g) => A1111_RNG[g] === rng);
  if (noise !== undefined) scene.noise = noise;
  else keep("RNG", "not CPU, GPU, NV or scenec");

  const seed = params.has("Seed") ? integer(params.get("Seed")!) : undefined;
  if (seed !== undefined && seed >= 0n && seed <= BigInt(MAX_SCENE_SEED)) scene.seed = Number(seed);
  else if (seed !== undefined && seed > 0n && scene.noise === "torch") {
    // torch seeds its CPU generator with the low 32 bits alone: the same noise from a seed scenec takes.
    scene.seed = Number(seed & 0xffffffffn);
    notes.push(`Seed ${seed} is written as ${scene.seed}, its low 32 bits: all that torch's CPU generator reads of it`);
  } else if (params.has("Seed")) keep("Seed", `not a whole number from 0 to ${MAX_SCENE_SEED}`);

  if (params.has("Sampler")) {
    const { sampler, schedule } = samplerAndSchedule(params.get("Sampler")!, params.get("Schedule type"));
    const name = SAMPLERS[sampler];
    if (name === undefined) keep("Sampler", "no scenec scheduler is that sampler; scenec's default, lms, is used");
    else if (schedule === undefined || schedule[0] === "automatic" || schedule[0] === "uniform" || schedule[0] === "karras")
      scene.scheduler = { name, karras: schedule?.[0] === "karras" };
    else {
      scene.scheduler = { name, karras: false };
      unmapped.push(`Schedule type: ${schedule[1]} (scenec has Karras σ or the model's own spacing; the model's own is used)`);
    }
  }
  if (params.has("Schedule type") && !params.has("Sampler")) keep("Schedule type", "without a Sampler");

  const model = params.get("Model");
  if (model !== undefined) scene.model = { name: modelName(model), ...(params.has("Model hash") ? { hash: params.get("Model hash")! } : {}) };
  else if (params.has("Model hash")) keep("Model hash", "no Model name with it");

  for (const key of params.keys()) if (!MAPPED_KEYS.has(key)) keep(key);
  return scene;
}
