import { textsToEncode, unetItemsPerRegion, classifierFreeGuidance, type Plan } from "../compiler/plan/plan.js";
import { windowsPerStep } from "../compiler/plan/shifted-windows.js";
import type { ModelProfile } from "../runtime/model/model-profile.js";

/**
 * `scenec plan --cost`: what a render of the plan costs on the model it names. The plan's own
 * `cost` is the model's-eye-free count of UNet items; this adds what the model changes: how many
 * text-encoder runs (SDXL has two encoders, and conditions missing negatives on zeros), and what
 * the tiles cost against the size the model was trained at.
 */
export interface CostSummary {
  /** The model as the plan resolves it: a folder, or the built-in model. */
  model: string;
  builtin: boolean;
  /** Absent when the model's folder could not be read (then `unreadable` says why, and one encoder is assumed). */
  profile?: ModelProfile;
  unreadable?: string;
  steps: number;
  /** Pictures a render makes: one per seed of the scene's `seeds`, else one. The figures below are per picture. */
  pictures: number;
  paints: number;
  unet: {
    itemsPerStep: number;
    total: number;
    /** Σ items × tile area / native area: the steps' work in native-size UNet evaluations, by area. */
    nativeEquivalentsPerStep?: number;
    nativeEquivalentsTotal?: number;
  };
  text: {
    /** Distinct texts encoded. */
    texts: number;
    encoderRuns: number;
    /** Regions and shifted grids with guidance but no negative prompt, conditioned on zeros. */
    zeroNegatives: number;
  };
  /** Regions or windows far from the model's native size: under half its area, or over twice it. */
  offSize: { name: string; width: number; height: number; relation: "under half" | "over twice" }[];
}

export function costSummary(plan: Plan, model: string | { builtin: true }, profile: ModelProfile | undefined, unreadable?: string): CostSummary {
  const zeroMissing = profile?.zeroMissingNegative ?? false;
  const texts = textsToEncode(plan, zeroMissing).length;
  const paints = [
    ...plan.regions.map((r) => ({ paint: r, width: r.rect.width, height: r.rect.height, perStep: 1 })),
    ...(plan.shiftedGrids ?? []).map((g) => ({ paint: g, width: g.tile.width, height: g.tile.height, perStep: windowsPerStep(g) })),
  ];
  const native = profile?.nativeSize;
  const nativePerStep = native === undefined ? undefined : paints.reduce((sum, p) => sum + p.perStep * unetItemsPerRegion(p.paint.guidance) * ((p.width * p.height) / (native * native)), 0);
  const offSize: CostSummary["offSize"] = [];
  if (native !== undefined)
    for (const p of paints) {
      const ratio = (p.width * p.height) / (native * native);
      if (ratio < 0.5 || ratio > 2) offSize.push({ name: p.paint.name, width: p.width, height: p.height, relation: ratio < 0.5 ? "under half" : "over twice" });
    }
  return {
    model: typeof model === "string" ? model : "the built-in model",
    builtin: typeof model !== "string",
    ...(profile ? { profile } : {}),
    ...(unreadable !== undefined ? { unreadable } : {}),
    steps: plan.steps,
    pictures: plan.seeds?.length ?? 1,
    paints: paints.length,
    unet: {
      itemsPerStep: plan.cost.unetEvaluationsPerStep,
      total: plan.cost.unetEvaluationsTotal,
      ...(nativePerStep !== undefined ? { nativeEquivalentsPerStep: round(nativePerStep), nativeEquivalentsTotal: round(nativePerStep * plan.steps) } : {}),
    },
    text: {
      texts,
      encoderRuns: texts * (profile?.textEncoders ?? 1),
      zeroNegatives: zeroMissing ? paints.filter((p) => classifierFreeGuidance(p.paint.guidance) && p.paint.negative === null).length : 0,
    },
    offSize,
  };
}

/** Two decimals: the figure is an estimate by area, not a count. */
function round(x: number): number {
  return Math.round(x * 100) / 100;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function formatCostSummary(s: CostSummary): string {
  const lines: string[] = [];
  const p = s.profile;
  if (p) {
    const family = s.builtin ? "SD-1.x-shaped" : p.family === "sdxl" ? "SDXL" : "SD 1.x/2.x";
    // The built-in model is the exact denoiser of its vocabulary at every size: it has no native one.
    const native = s.builtin ? ", exact at any size" : p.nativeSize !== undefined ? `, native size ${p.nativeSize} x ${p.nativeSize} (${p.nativeSizeFrom})` : ", native size not recorded";
    lines.push(`model   ${s.model}: ${family}, ${plural(p.textEncoders, "text encoder")}${native}`);
  } else lines.push(`model   ${s.model}: ${s.unreadable ?? "not read"}; the figures below assume one text encoder`);
  const equivalents = s.unet.nativeEquivalentsPerStep !== undefined ? `; by area, ${s.unet.nativeEquivalentsPerStep} native-size evaluations per step, ${s.unet.nativeEquivalentsTotal} in all` : "";
  lines.push(`UNet    ${plural(s.unet.itemsPerStep, "evaluation")} per step, ${s.unet.total} in ${plural(s.steps, "step")}${equivalents}`);
  // Text encodings are made once for the whole sweep: the worker keeps them.
  if (s.pictures > 1) lines.push(`seeds   ${plural(s.pictures, "picture")}: ${s.unet.total * s.pictures} UNet evaluations in all; the texts are encoded once`);
  const zeros = s.text.zeroNegatives > 0 ? `; ${plural(s.text.zeroNegatives, "region has", "regions have")} no negative prompt and ${s.text.zeroNegatives === 1 ? "is" : "are"} conditioned on zeros` : "";
  lines.push(`text    ${plural(s.text.texts, "text")}, ${plural(s.text.encoderRuns, "encoder run")}${zeros}`);
  for (const o of s.offSize)
    lines.push(
      `size    \`${o.name}\` (${o.width} x ${o.height}) is ${o.relation} the model's native area (${p!.nativeSize} x ${p!.nativeSize}): ${o.relation === "under half" ? "models lose composition well below the size they were trained at" : "models repeat subjects well above the size they were trained at; tile it with a grid"}`,
    );
  return lines.join("\n") + "\n";
}
