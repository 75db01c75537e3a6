import type { Option, OptionKind, OptionOf } from "../syntax/ast.js";
import type { Size } from "./geometry.js";
import { optionOf } from "./options.js";
import { DEFAULT_GUIDANCE, readBlend, readGuidance, readSeed, type Paint } from "./paint.js";
import { NOISE_GENERATORS, SCHEDULER_NAMES, type ModelRef, type NoiseGenerator, type SchedulerName } from "../plan/plan.js";
import type { Reporter } from "../diagnostics/reporter.js";
import type { StyleResolver } from "./styles.js";
import { suggestionHelp } from "./suggest.js";
import { integerIn, MAX_SEED, pixels } from "./values.js";
import { expandSeedRanges, MAX_SEEDS } from "../plan/seed-ranges.js";
import { readMicroConditioning } from "./micro-conditioning.js";
import type { Span } from "../diagnostics/span.js";

export const DEFAULT_STEPS = 30;
const DEFAULT_SCHEDULER: SchedulerName = "lms";
const DEFAULT_NOISE: NoiseGenerator = "scenec";

/** The scene-wide settings, defaults applied. */
export interface Settings {
  canvas: Size | undefined;
  canvasSpan: Option["span"] | undefined;
  model: ModelRef;
  seed: number;
  /** `seeds`: one picture per seed (the first is `seed`). */
  seeds: number[] | undefined;
  noise: NoiseGenerator;
  /** `noise "file.npy"`: the path as written (styles expanded) and where; checked by noise-file.ts. */
  noiseFile: { written: string; span: Span } | undefined;
  steps: number;
  scheduler: { name: SchedulerName; karras: boolean };
  /** As written, relative to the scene file; undefined means "beside the scene". */
  output: string | undefined;
  defaults: Paint;
}

/** `model "builtin"` is the built-in model; a setting names a configured model unless it looks like a path. */
function modelRef(text: string): ModelRef {
  if (text === "builtin") return { kind: "builtin" };
  return /[/\\]|^\.|\.onnx$/i.test(text) ? { kind: "path", path: text } : { kind: "named", name: text };
}

export function readSettings(reporter: Reporter, styles: StyleResolver, options: Map<OptionKind, Option>): Settings {
  const canvasOption = optionOf(options, "canvas");
  let canvas: Size | undefined;
  if (canvasOption) {
    const width = pixels(reporter, canvasOption.value.width, "canvas width", "size");
    const height = pixels(reporter, canvasOption.value.height, "canvas height", "size");
    if (width !== undefined && height !== undefined) canvas = { width, height };
  }

  const schedulerOption = optionOf(options, "scheduler");
  let scheduler = { name: DEFAULT_SCHEDULER, karras: false };
  if (schedulerOption) {
    const name = schedulerOption.value.name;
    if ((SCHEDULER_NAMES as readonly string[]).includes(name)) scheduler = { name: name as SchedulerName, karras: schedulerOption.karras !== undefined };
    else
      reporter.report("S2007", schedulerOption.value.span, { name, help: suggestionHelp(name, SCHEDULER_NAMES) });
  }

  const noiseOption = optionOf(options, "noise");
  let noise = DEFAULT_NOISE;
  let noiseFile: Settings["noiseFile"];
  if (noiseOption && "name" in noiseOption.value) {
    const name = noiseOption.value.name;
    if ((NOISE_GENERATORS as readonly string[]).includes(name)) noise = name as NoiseGenerator;
    else reporter.report("S2023", noiseOption.value.span, { name, help: suggestionHelp(name, NOISE_GENERATORS) });
  } else if (noiseOption && "parts" in noiseOption.value) {
    const written = styles.expand(noiseOption.value);
    if (written === "") reporter.report("S2010", noiseOption.value.span, { variant: "empty", setting: "noise" });
    else if (written !== undefined) noiseFile = { written, span: noiseOption.value.span };
  }

  const stepsOption = optionOf(options, "steps");
  const seedOption = optionOf(options, "seed");
  const seedsOption = optionOf(options, "seeds");
  if (seedOption && seedsOption) reporter.report("S2032", seedsOption.keyword, { variant: "withSeed", related: [{ span: seedOption.keyword }] });
  const seeds = seedsOption ? readSeeds(reporter, seedsOption) : undefined;
  const guidanceOption = optionOf(options, "guidance");
  const negativeOption = optionOf(options, "negative");
  const blendOption = optionOf(options, "blend");
  const modelOption = optionOf(options, "model");
  const outputOption = optionOf(options, "output");

  // Paths interpolate styles like any string; an empty one is an error, not "the default".
  const path = (option: OptionOf<"model" | "output"> | undefined): string | undefined => {
    if (!option) return undefined;
    const text = styles.expand(option.value);
    if (text === "") reporter.report("S2010", option.value.span, { variant: "empty", setting: option.kind });
    return text || undefined;
  };
  const model = path(modelOption);
  const output = path(outputOption);

  return {
    canvas,
    canvasSpan: canvasOption?.span,
    model: model !== undefined ? modelRef(model) : { kind: "default" },
    seed: seeds?.[0] ?? (seedOption && readSeed(reporter, seedOption)) ?? 0,
    seeds,
    noise,
    noiseFile,
    steps: (stepsOption && integerIn(reporter, stepsOption.value, "steps", 1, 1000)) ?? DEFAULT_STEPS,
    scheduler,
    output,
    defaults: {
      prompt: "",
      negative: (negativeOption && styles.expandPrompt(negativeOption.value)) ?? null,
      guidance: (guidanceOption && readGuidance(reporter, guidanceOption)) ?? DEFAULT_GUIDANCE,
      blend: (blendOption && readBlend(reporter, blendOption)) ?? "gaussian",
      weight: 1,
      seed: null,
      micro: readMicroConditioning(reporter, options, {}),
    },
  };
}

/** `seeds`: its seeds in the order written, each once; undefined when any is wrong (each reported). */
function readSeeds(reporter: Reporter, option: OptionOf<"seeds">): number[] | undefined {
  const read = option.items.map((item) => ({ from: integerIn(reporter, item.from, "seed", 0, MAX_SEED), to: integerIn(reporter, item.to, "seed", 0, MAX_SEED) }));
  if (read.some((r) => r.from === undefined || r.to === undefined)) return undefined;
  const { seeds, problems } = expandSeedRanges(read as { from: number; to: number }[]);
  for (const p of problems) {
    const span = option.items[p.index]!.span;
    if (p.kind === "descending") reporter.report("S2032", span, { variant: "descending", from: read[p.index]!.from!, to: read[p.index]!.to! });
    else if (p.kind === "twice") reporter.report("S2032", span, { variant: "twice", seed: p.seed });
    else reporter.report("S2032", span, { variant: "tooMany", max: MAX_SEEDS });
  }
  return problems.length === 0 ? seeds : undefined;
}
