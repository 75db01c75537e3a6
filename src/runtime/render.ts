import type { Plan } from "../compiler/plan.js";
import { denoise, type StepProgress } from "./mixture.js";
import type { DiffusionModel } from "./model/diffusion-model.js";
import { createScheduler } from "./schedulers/scheduler.js";
import type { TextEmbeddings } from "./text-embeddings.js";
import { decodeLatents, DEFAULT_DECODE_TILE } from "./tiled-decode.js";

export type RenderPhase = "text" | "denoise" | "decode";

export interface RenderProgress {
  phase: RenderPhase;
  /** For `denoise`: the step being taken and UNet calls made in it. */
  step?: StepProgress;
  /** For `decode`: tiles decoded. */
  done?: number;
  total?: number;
}

export interface RenderOptions {
  /** Regions per UNet call (same-size regions only). */
  batch: number;
  /** Decode in tiles of this many latent elements (default 64, overlap 16); Infinity decodes whole. */
  decodeTile?: { tile: number; overlap: number };
  onProgress?: (progress: RenderProgress) => void;
  onWarning?: (message: string) => void;
  shouldStop?: () => boolean;
}

export interface RenderedImage {
  width: number;
  height: number;
  /** 8-bit RGB, interleaved. */
  rgb: Uint8Array;
}

/** Runs a plan on a loaded model: text encoding, the mixture of diffusers, tiled decoding. */
export async function renderPlan(plan: Plan, model: DiffusionModel, texts: TextEmbeddings, options: RenderOptions): Promise<RenderedImage> {
  options.onProgress?.({ phase: "text" });
  const embeddings = await texts.embed(plan.texts, (text, dropped) => {
    const regions = plan.regions.filter((r) => r.prompt === text || r.negative === text).map((r) => `\`${r.name}\``);
    options.onWarning?.(
      `the prompt of ${regions.join(", ")} is longer than the model's ${model.sequenceLength - 2} tokens; dropped: "${dropped}"`,
    );
  });
  const scheduler = createScheduler(plan.scheduler.name, plan.steps, { karras: plan.scheduler.karras, config: model.schedulerConfig });
  const latents = await denoise({
    model,
    plan,
    scheduler,
    embeddings,
    batch: options.batch,
    ...(options.onProgress ? { onProgress: (step: StepProgress) => options.onProgress!({ phase: "denoise", step }) } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
  });
  const tile = options.decodeTile ?? DEFAULT_DECODE_TILE;
  const rgb = await decodeLatents(model, latents, plan.latent.width, plan.latent.height, {
    ...tile,
    ...(options.onProgress ? { onTile: (done: number, total: number) => options.onProgress!({ phase: "decode", done, total }) } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
  });
  return { width: plan.canvas.width, height: plan.canvas.height, rgb };
}
