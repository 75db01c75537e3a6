import path from "node:path";
import type { RegionSpec } from "../check/geometry.js";
import type { GuideSpec } from "../check/guides.js";
import type { MaskSpec } from "../check/masks.js";
import type { NoiseFileSpec } from "../check/noise-file.js";
import { relativeToScene } from "../check/project-root.js";
import { PLAN_VERSION, textsToEncode, unetItemsPerRegion, type Plan, type PlanMask, type PlanShiftedGrid, type PlanText, type Rect } from "./plan.js";
import { overlappingTilesPerStep, windowsPerStep } from "./shifted-windows.js";
import type { Settings } from "../check/settings.js";
import { LATENT_FACTOR } from "../check/values.js";
import { planText } from "../check/prompt-emphasis.js";

export interface PlanInput {
  /** The main scene file, as the compiler was given it. */
  sceneFile: string;
  settings: Settings;
  canvas: { width: number; height: number };
  regions: readonly RegionSpec[];
  guides: readonly GuideSpec[];
  noiseFile: NoiseFileSpec | undefined;
  /** The line and column a span starts at. */
  locate: (span: RegionSpec["span"]) => { line: number; column: number };
}

/** How many steps a guide is imposed for (see grammar/reference.md, guides). */
export function guideSteps(strength: number, steps: number): number {
  return Math.round(strength * steps);
}

export function toLatent(r: Rect): Rect {
  return { x: r.x / LATENT_FACTOR, y: r.y / LATENT_FACTOR, width: r.width / LATENT_FACTOR, height: r.height / LATENT_FACTOR };
}

/**
 * Lowers checked scene data into the plan. Key order here is the plan's canonical order (the
 * serialisers keep it), so the same input gives byte-identical output.
 */
export function buildPlan(input: PlanInput): Plan {
  const { settings, canvas, sceneFile } = input;
  /** `file:line:col`, the file relative to the scene's folder (once per file: path.resolve is not cheap a thousand times). */
  const relative = new Map<string, string>();
  const where = (span: RegionSpec["span"]) => {
    const { line, column } = input.locate(span);
    let file = relative.get(span.file);
    if (file === undefined) relative.set(span.file, (file = relativeToScene(sceneFile, span.file)));
    return `${file}:${line}:${column}`;
  };
  const texts: PlanText[] = [];
  const textIndex = new Map<string, number>();
  const intern = (text: string) => {
    let i = textIndex.get(text);
    if (i === undefined) {
      i = texts.length;
      texts.push(planText(text));
      textIndex.set(text, i);
    }
    return i;
  };

  // Texts are interned in declaration order, a shifted grid's where it was declared.
  const regions: Plan["regions"] = [];
  const shiftedGrids: PlanShiftedGrid[] = [];
  for (const r of input.regions) {
    const paint = {
      prompt: r.prompt,
      negative: r.negative,
      promptText: intern(r.prompt),
      negativeText: intern(r.negative ?? ""),
      guidance: r.guidance,
      blend: r.blend,
      weight: r.weight,
      seed: r.seed,
      ...(Object.keys(r.micro).length > 0 ? { microConditioning: structuredClone(r.micro) } : {}),
    };
    if (!r.shifted) {
      const mask = r.maskFile && planMask(sceneFile, r.maskFile);
      regions.push({ name: r.name, source: where(r.span), ...paint, rect: { ...r.rect }, latent: toLatent(r.rect), ...(r.shape ? { shape: { ...r.shape } } : {}), ...(mask ? { mask } : {}) });
      continue;
    }
    const { tile, columns, rows } = r.shifted;
    shiftedGrids.push({
      name: r.name,
      source: where(r.span),
      ...paint,
      columns,
      rows,
      tile: { ...tile },
      latentTile: { width: tile.width / LATENT_FACTOR, height: tile.height / LATENT_FACTOR },
      rect: { ...r.rect },
      latent: toLatent(r.rect),
    });
  }

  const guides = input.guides.map((g) => ({
    path: relativeToScene(sceneFile, g.file),
    source: where(g.span),
    sha256: g.sha256,
    imageSize: { ...g.imageSize },
    fit: g.fit,
    strength: g.strength,
    steps: guideSteps(g.strength, settings.steps),
    rect: { ...g.rect },
    latent: toLatent(g.rect),
    ...(g.shape ? { shape: { ...g.shape } } : {}),
    ...(g.maskFile ? { mask: planMask(sceneFile, g.maskFile) } : {}),
  }));

  const sceneName = path.basename(sceneFile);
  const output = settings.output ?? `${sceneName.replace(/\.scene$/i, "")}.png`;
  const regionItems = regions.reduce((sum, r) => sum + unetItemsPerRegion(r.guidance), 0);
  const itemsPerStep = (tiles: (g: PlanShiftedGrid) => number) => shiftedGrids.reduce((sum, g) => sum + tiles(g) * unetItemsPerRegion(g.guidance), regionItems);
  const unetPerStep = itemsPerStep(windowsPerStep);

  return {
    version: PLAN_VERSION,
    scene: sceneName,
    canvas: { width: canvas.width, height: canvas.height },
    latent: { width: canvas.width / LATENT_FACTOR, height: canvas.height / LATENT_FACTOR, channels: 4, factor: LATENT_FACTOR },
    model: settings.model,
    seed: settings.seed,
    ...(settings.seeds ? { seeds: [...settings.seeds] } : {}),
    noise: settings.noise,
    ...(input.noiseFile
      ? {
          noiseFile: {
            path: relativeToScene(sceneFile, input.noiseFile.file),
            source: where(input.noiseFile.span),
            sha256: input.noiseFile.sha256,
            dtype: input.noiseFile.dtype,
            shape: [...input.noiseFile.shape],
          },
        }
      : {}),
    steps: settings.steps,
    scheduler: { ...settings.scheduler },
    output,
    texts,
    regions,
    ...(shiftedGrids.length > 0 ? { shiftedGrids } : {}),
    guides,
    cost: {
      regions: regions.length,
      unetEvaluationsPerStep: unetPerStep,
      unetEvaluationsTotal: unetPerStep * settings.steps,
      ...(shiftedGrids.length > 0 ? { unetEvaluationsPerStepOverlapping: itemsPerStep(overlappingTilesPerStep) } : {}),
      textEncodings: textsToEncode({ regions, shiftedGrids }, false).length,
    },
  };
}

/** A mask as the plan records it: its file (relative to the scene's folder), hash and placement. */
function planMask(sceneFile: string, m: MaskSpec): PlanMask {
  return { path: relativeToScene(sceneFile, m.file), sha256: m.sha256, imageSize: { ...m.imageSize }, fit: m.fit, feather: m.feather, invert: m.invert };
}
