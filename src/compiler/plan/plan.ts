/**
 * The execution plan: the contract between compiler and runtime. Plain JSON data, canonically
 * ordered, validated against schema/plan.schema.json. Paths are relative to the folder of the
 * scene file the plan was made from (and a saved plan is read relative to its own folder).
 */
/** 2: `texts` are records (`{ text, parts? }`), for prompt weighting; 1 had strings. */
export const PLAN_VERSION = 2;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type ModelRef =
  /** The scene names no model: the configured default, else the built-in model. */
  | { kind: "default" }
  | { kind: "builtin" }
  /** A name to look up in the user's configuration (scenec.yaml). */
  | { kind: "named"; name: string }
  /** A diffusers-ONNX or optimum-ONNX folder. */
  | { kind: "path"; path: string };

/**
 * The vocabularies of the plan (and of the language's settings of the same names): the one list
 * of each. The runtime's tables are keyed by them, so a name without an implementation is a type
 * error; the schema's enums, the TextMate grammar and the reference are checked against them
 * (test/plan-schema, test/textmate-grammar, test/reference-vocabularies).
 */
export const SCHEDULER_NAMES = ["lms", "euler", "euler_ancestral", "ddim", "dpmpp_2m"] as const;
export const BLEND_KERNELS = ["gaussian", "quartic", "constant"] as const;
export const FIT_MODES = ["stretch", "cover", "contain"] as const;
/**
 * How the initial noise is drawn from a seed (src/runtime/noise.ts): scenec's own generator,
 * torch.randn on the CPU (diffusers, ComfyUI), or A1111's Philox imitation of torch's CUDA randn
 * (its NV seeds, which stand in for its default GPU ones).
 */
export const NOISE_GENERATORS = ["scenec", "torch", "philox"] as const;
/**
 * How a grid lays its tiles (grammar/reference.md, grids): `fixed` cells that overlap (Mixture of
 * Diffusers; the plan lists them as regions), or `shifted` windows that never overlap and move
 * every step (SpotDiffusion; the plan lists the grid in `shiftedGrids`).
 */
export const GRID_TILINGS = ["fixed", "shifted"] as const;
/** The shapes a region may have inside its rectangle (grammar/reference.md, shapes). */
export const SHAPE_KINDS = ["ellipse", "polygon"] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];
export type BlendKernel = (typeof BLEND_KERNELS)[number];
export type FitMode = (typeof FIT_MODES)[number];
export type NoiseGenerator = (typeof NOISE_GENERATORS)[number];
export type GridTiling = (typeof GRID_TILINGS)[number];
export type ShapeKind = (typeof SHAPE_KINDS)[number];

/**
 * Whether a region's guidance scale asks for classifier-free guidance: as in diffusers
 * (`guidance_scale > 1`). At most 1 the prediction is the positive prompt's alone, one UNet item.
 */
export function classifierFreeGuidance(guidance: number): boolean {
  return guidance > 1;
}

/** UNet batch items one region costs per step: negative and positive, or the positive alone. */
export function unetItemsPerRegion(guidance: number): number {
  return classifierFreeGuidance(guidance) ? 2 : 1;
}

/**
 * The indices into `texts` that a render encodes, in order: every prompt, and the negative of each
 * region or shifted grid with classifier-free guidance, unless it has none and the model conditions
 * a missing negative on zeros (SDXL's `force_zeros_for_empty_prompt`). `negativeText` of the others
 * is never read.
 */
export function textsToEncode(plan: Pick<Plan, "regions" | "shiftedGrids">, zeroMissingNegative: boolean): number[] {
  const used = new Set<number>();
  for (const paint of [...plan.regions, ...(plan.shiftedGrids ?? [])]) {
    used.add(paint.promptText);
    if (classifierFreeGuidance(paint.guidance) && !(paint.negative === null && zeroMissingNegative)) used.add(paint.negativeText);
  }
  return [...used].sort((a, b) => a - b);
}

/**
 * SDXL micro-conditioning a scene sets (`original`, `crop`, `target` and their `negative-`
 * forms), in pixels; each one absent takes its default: sizes the tile's own, the crop the tile's
 * offset in the canvas, and each negative one the positive one's value. Only the keys written
 * are present. SD 1.x/2.x UNets take no micro-conditioning and ignore it.
 */
export interface MicroConditioning {
  original?: { width: number; height: number };
  crop?: { x: number; y: number };
  target?: { width: number; height: number };
  negativeOriginal?: { width: number; height: number };
  negativeCrop?: { x: number; y: number };
  negativeTarget?: { width: number; height: number };
}

/** A run of prompt text and its emphasis weight (grammar/reference.md, prompt weighting). */
export interface PromptSegment {
  text: string;
  weight: number;
}

/**
 * A distinct prompt or negative text: as written (styles expanded), and, when it uses emphasis
 * syntax, how that reads: the `BREAK`-separated parts, each its weighted segments in order.
 */
export interface PlanText {
  text: string;
  /** Absent for a plain text: one part of one segment, the whole text, of weight 1 (`textParts`). */
  parts?: PromptSegment[][];
}

/** A text's parts, a plain text's included. */
export function textParts(t: PlanText): PromptSegment[][] {
  return t.parts ?? [[{ text: t.text, weight: 1 }]];
}

/** What a region or a shifted grid paints with, and where it was declared: shared by both. */
export interface PlanPaint {
  /** `house`, `mosaic[3,2]` for a grid cell, or a shifted grid's name. */
  name: string;
  /** Where it was declared, `file:line:col`, for runtime messages. */
  source: string;
  prompt: string;
  /**
   * null when no negative prompt is given (scene, grid or region): SD 1.x/2.x condition on the
   * empty prompt's encoding (`negativeText` is then the index of ""), SDXL on zeros, as diffusers
   * does for `negative_prompt=None`.
   */
  negative: string | null;
  /** Indices into `Plan.texts`: each distinct text is encoded once. */
  promptText: number;
  negativeText: number;
  /** Above 1, classifier-free guidance; at most 1, the positive prompt alone (see `classifierFreeGuidance`). */
  guidance: number;
  /** A shifted grid's kernel is only felt where other regions overlap it (its windows never overlap each other). */
  blend: BlendKernel;
  weight: number;
  /** Re-rolls the initial noise under the region (a shifted grid: under its whole `rect`); null keeps the canvas noise. */
  seed: number | null;
  /** Present when the scene sets any micro-conditioning; a shifted grid's unset crop is each window's offset that step. */
  microConditioning?: MicroConditioning;
  /** In pixels (a shifted grid: the area its windows cover). */
  rect: Rect;
  /** In latent elements (pixels / latentFactor). */
  latent: Rect;
}

/**
 * Where inside its rectangle a region paints: the ellipse inscribed in it, or a polygon. Its
 * membership, 0 to 1, multiplies the region's kernel (src/compiler/plan/shape-mask.ts); the
 * rectangle stays the crop.
 */
export type PlanShape = ({ kind: "ellipse" } | { kind: "polygon"; points: PlanPoint[] }) & {
  /** Pixels of soft edge, centred on the outline: membership goes from 1 to 0 across them. */
  feather: number;
  /** The region paints outside the shape instead (what of its rectangle the shape leaves). */
  invert: boolean;
};

/** A polygon's corner, in pixels from the region's top-left corner; a simple polygon, in order. */
export interface PlanPoint {
  x: number;
  y: number;
}

/**
 * Where inside its rectangle a region paints, from an image: its grey level, or its alpha when it
 * has one, is each pixel's membership (src/compiler/plan/image-mask.ts). Plans stay data: the
 * file is named and hashed, and the renderer reads it again.
 */
export interface PlanMask {
  /** Relative to the scene's folder. */
  path: string;
  /** sha256 of the file's bytes: a changed mask changes the plan, and a stale one is refused. */
  sha256: string;
  /** The image's own size in pixels, after EXIF orientation. */
  imageSize: { width: number; height: number };
  fit: FitMode;
  /** Pixels of soft edge: membership is averaged over a square this wide. */
  feather: number;
  /** The region paints where the image is not instead. */
  invert: boolean;
}

export interface PlanRegion extends PlanPaint {
  /** Absent (and no `mask`): the whole rectangle. */
  shape?: PlanShape;
  /** Absent (and no `shape`): the whole rectangle. */
  mask?: PlanMask;
}

/**
 * A grid with `tiling shifted`: `columns` x `rows` windows of `tile`, side by side over `rect`,
 * whose lattice is moved by a seeded offset every step (src/compiler/plan/shifted-windows.ts
 * derives each step's windows from this, the plan's seed and the step). Every window is
 * evaluated with the grid's prompt. Its `cell` overrides are regions in `regions`.
 */
export interface PlanShiftedGrid extends PlanPaint {
  columns: number;
  rows: number;
  /** One window, in pixels and in latent elements. */
  tile: { width: number; height: number };
  latentTile: { width: number; height: number };
}

export interface PlanGuide {
  /** Relative to the scene's folder. */
  path: string;
  source: string;
  /** sha256 of the file's bytes: a changed image changes the plan. */
  sha256: string;
  /** The image's own size in pixels, after EXIF orientation. */
  imageSize: { width: number; height: number };
  fit: FitMode;
  strength: number;
  /** The guide is imposed after each of the first `steps` denoising steps: round(strength * steps). */
  steps: number;
  rect: Rect;
  latent: Rect;
  /** Where in `rect` the guide pins the picture (with its own alpha): absent, wherever it is opaque. */
  shape?: PlanShape;
  mask?: PlanMask;
}

/** `noise "file.npy"`: the initial noise read from a NumPy file instead of drawn from the seed. */
export interface PlanNoiseFile {
  /** Relative to the scene's folder. */
  path: string;
  source: string;
  /** sha256 of the file's bytes: a changed file changes the plan. */
  sha256: string;
  dtype: "float32" | "float16";
  /** As stored: [4, H/8, W/8] or [1, 4, H/8, W/8]. */
  shape: number[];
}

export interface Plan {
  version: typeof PLAN_VERSION;
  /** The main scene file's name, relative to its own folder. */
  scene: string;
  canvas: { width: number; height: number };
  latent: { width: number; height: number; channels: number; factor: number };
  model: ModelRef;
  seed: number;
  /** Present when the scene sets `seeds`: `scenec render` makes one picture per seed (`seed` is the first). */
  seeds?: number[];
  /** The generator that draws the initial noise from `seed` (and from each region's own seed). */
  noise: NoiseGenerator;
  /**
   * Present when the canvas's initial noise comes from a file (`noise "x.npy"`) rather than from
   * `seed`; regions with their own seed still draw their rectangle with `noise`'s generator.
   */
  noiseFile?: PlanNoiseFile;
  steps: number;
  scheduler: { name: SchedulerName; karras: boolean };
  output: string;
  /** Every distinct prompt and negative text, in order of first use. */
  texts: PlanText[];
  regions: PlanRegion[];
  /** Present when a grid has `tiling shifted`. */
  shiftedGrids?: PlanShiftedGrid[];
  guides: PlanGuide[];
  cost: {
    regions: number;
    /** UNet batch items per step: two per guided region or shifted window (negative and positive), one per unguided. */
    unetEvaluationsPerStep: number;
    unetEvaluationsTotal: number;
    /**
     * With shifted grids: the UNet batch items per step of the same scene with each shifted grid's
     * tiles fixed and overlapping by half (the paper's 4K layout), for comparison.
     */
    unetEvaluationsPerStepOverlapping?: number;
    /** Text-encoder runs of an SD 1.x/2.x model: the texts `textsToEncode` picks (an SDXL model runs each through both its encoders). */
    textEncodings: number;
  };
}
