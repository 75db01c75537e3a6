import path from "node:path";
import type { Plan } from "../compiler/plan/plan.js";
import { latentPreview, type LatentPreview } from "./latent-preview.js";
import { denoise, type StepProgress } from "./mixture.js";
import type { DiffusionModel } from "./model/diffusion-model.js";
import { createScheduler, type PredictionType, type SchedulerWithSigmas } from "./schedulers/scheduler.js";
import type { ActiveGuide } from "./guides/apply-guides.js";
import { loadGuidePixels } from "./guides/guide-image.js";
import { GuideLatentCache } from "./guides/guide-latents.js";
import { loadPlanMasks } from "./guides/mask-image.js";
import { memberships } from "../compiler/plan/outline-membership.js";
import type { MaskImage } from "../compiler/plan/image-mask.js";
import { loadNoiseFile } from "./noise-file.js";
import { TextEmbeddings } from "./text-embeddings.js";
import { decodeLatents } from "./tiled-decode.js";

export type RenderPhase = "text" | "guides" | "denoise" | "decode";

export interface RenderProgress {
  phase: RenderPhase;
  /** For `denoise`: the step being taken and UNet calls made in it. */
  step?: StepProgress;
  /** For `decode`: tiles decoded. */
  done?: number;
  total?: number;
}

/** How the VAE decodes (tiled-decode.ts): within `memory` bytes (default 4 GiB: `--decode-memory`), or in forced tiles of `tile` latent elements (Infinity: whole). */
export interface DecodeSettings {
  memory?: number;
  tile?: number;
}

export interface RenderOptions {
  /** The folder the plan's guide paths are relative to (default: the working folder). */
  folder?: string;
  /** Regions per UNet call (same-size regions only). */
  batch: number;
  decode?: DecodeSettings;
  onProgress?: (progress: RenderProgress) => void;
  /** Return the final latents too (before the VAE's scaling), for `--save-latents`. */
  keepLatents?: boolean;
  onWarning?: (message: string) => void;
  shouldStop?: () => boolean;
  /** Live previews (latent-preview.ts) after every `every` steps and after the last; for watch mode. */
  preview?: { every: number; maxSide?: number; onPreview: (preview: LatentPreview) => void };
}

export interface RenderedImage {
  width: number;
  height: number;
  /** 8-bit RGB, interleaved. */
  rgb: Uint8Array;
  /** With `keepLatents`: the final latents [4, H/8, W/8], as the last scheduler step left them. */
  latents?: Float32Array;
}

/** What a loaded model keeps between renders: prompt embeddings, encoded guides and decoded mask images (by sha256). */
export interface RenderCaches {
  texts: TextEmbeddings;
  guides: GuideLatentCache;
  masks: Map<string, MaskImage>;
}

export function renderCaches(model: DiffusionModel): RenderCaches {
  return { texts: new TextEmbeddings(model), guides: new GuideLatentCache(model), masks: new Map() };
}

/** Runs a plan on a loaded model: text encoding, the mixture of diffusers, tiled decoding. */
export async function renderPlan(plan: Plan, model: DiffusionModel, caches: RenderCaches, options: RenderOptions): Promise<RenderedImage> {
  const { texts, guides: guideCache } = caches;
  options.onProgress?.({ phase: "text" });
  const { embeddings, padding } = await texts.forPlan(plan);
  if (!model.conditioning.timeIds) {
    const micro = [...plan.regions, ...(plan.shiftedGrids ?? [])].filter((r) => r.microConditioning).map((r) => `\`${r.name}\``);
    if (micro.length > 0)
      // A scene-level setting reaches every region: name a few.
      options.onWarning?.(
        `${micro.slice(0, 3).join(", ")}${micro.length > 3 ? ` and ${micro.length - 3} more` : ""} set SDXL micro-conditioning (original, crop, target), which this model's UNet does not take: it is ignored`,
      );
  }
  const scheduler = createScheduler(plan.scheduler.name, plan.steps, { karras: plan.scheduler.karras, config: model.schedulerConfig });
  const masks = await loadPlanMasks(plan, options.folder ?? ".", caches.masks);
  const membership = memberships(masks);
  const guides: ActiveGuide[] = [];
  for (const guide of plan.guides) {
    if (guide.steps === 0) continue; // strength 0: the guide changes nothing
    options.onProgress?.({ phase: "guides" });
    const encoded = await guideCache.get(guide, () => loadGuidePixels(path.resolve(options.folder ?? ".", guide.path), guide));
    // A shape or mask pins only its part of the guide: it multiplies the image's own alpha.
    const inside = membership({ shape: guide.shape, mask: guide.mask }, guide.rect, plan.latent.factor);
    guides.push({ guide, encoded: inside ? { ...encoded, mask: encoded.mask.map((alpha, e) => alpha * inside[e]!) } : encoded });
  }
  const canvasNoise = plan.noiseFile && (await loadNoiseFile(plan.noiseFile, options.folder ?? ".", plan.latent.channels * plan.latent.width * plan.latent.height));
  const latents = await denoise({
    model,
    plan,
    scheduler,
    embeddings,
    padding,
    guides,
    masks,
    ...(canvasNoise ? { canvasNoise } : {}),
    batch: options.batch,
    ...(options.onProgress ? { onProgress: (step: StepProgress) => options.onProgress!({ phase: "denoise", step }) } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    ...(options.preview ? { onStep: previewHook(options.preview, scheduler, model.schedulerConfig.predictionType, plan.latent) } : {}),
  });
  const rgb = await decodeLatents(model, latents, plan.latent.width, plan.latent.height, {
    ...options.decode,
    ...(options.onProgress ? { onTile: (done: number, total: number) => options.onProgress!({ phase: "decode", done, total }) } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    ...(process.env["SCENEC_DEBUG"] && options.onWarning ? { onDebug: options.onWarning } : {}),
  });
  return { width: plan.canvas.width, height: plan.canvas.height, rgb, ...(options.keepLatents ? { latents } : {}) };
}

function previewHook(
  preview: NonNullable<RenderOptions["preview"]>,
  scheduler: SchedulerWithSigmas,
  predictionType: PredictionType,
  latent: { width: number; height: number },
): (step: number, latents: Float32Array, prediction: Float32Array) => void {
  const every = Math.max(1, Math.floor(preview.every));
  return (step, latents, prediction) => {
    if ((step + 1) % every !== 0 && step + 1 !== scheduler.steps) return;
    const info = { index: step, steps: scheduler.steps, inputScale: scheduler.inputScale(step), sigma: scheduler.sigmas[step]!, predictionType };
    preview.onPreview(latentPreview(latents, prediction, latent.width, latent.height, info, preview.maxSide));
  };
}
