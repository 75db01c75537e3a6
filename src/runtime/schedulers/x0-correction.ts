/**
 * What DDIM and DPM-Solver++ may do to their x0 prediction before stepping with it, as diffusers
 * does: dynamic thresholding (`thresholding`, Imagen's; it takes precedence) or `clip_sample`'s
 * clamp (DDIM only). Only x0 changes; DDIM's ε stays the model's.
 */
import { SCHEDULER_DEFAULTS, type SchedulerConfig } from "./config.js";

export type X0Correction =
  /** `_threshold_sample`: s = clamp(quantile(|x0|, ratio), 1, maxValue); x0 ← clamp(x0, −s, s)/s. */
  | { readonly kind: "threshold"; readonly ratio: number; readonly maxValue: number }
  /** `clip_sample`: x0 ← clamp(x0, −range, range). */
  | { readonly kind: "clip"; readonly range: number };

/** The correction `config` asks for; `clip` says whether the scheduler has `clip_sample` (DDIM). */
export function x0Correction(config: SchedulerConfig, clip: boolean): X0Correction | undefined {
  const d = SCHEDULER_DEFAULTS;
  if (config.thresholding ?? d.thresholding) {
    return { kind: "threshold", ratio: config.dynamicThresholdingRatio ?? d.dynamicThresholdingRatio, maxValue: config.sampleMaxValue ?? d.sampleMaxValue };
  }
  if (clip && (config.clipSample ?? d.clipSample)) return { kind: "clip", range: config.clipSampleRange ?? d.clipSampleRange };
  return undefined;
}

/**
 * `torch.quantile(values, q)` (linear interpolation between the two nearest ranks) of |values|.
 * `scratch` (same length) is overwritten.
 */
export function absQuantile(values: Float32Array, q: number, scratch: Float32Array): number {
  const n = values.length;
  for (let j = 0; j < n; j++) scratch[j] = Math.abs(values[j]!);
  scratch.sort();
  const rank = q * (n - 1);
  const below = Math.floor(rank);
  const above = Math.min(n - 1, Math.ceil(rank));
  const lo = scratch[below]!;
  return lo + (scratch[above]! - lo) * (rank - below);
}

/**
 * Applies `correction` to `x0` in place. The quantile is over the whole array: the mixture's canvas
 * is the one sample that diffusers thresholds per batch item. `scratch` is used by thresholding.
 */
export function correctX0(x0: Float32Array, correction: X0Correction, scratch: Float32Array): void {
  const n = x0.length;
  if (correction.kind === "clip") {
    const r = correction.range;
    for (let j = 0; j < n; j++) x0[j] = Math.min(r, Math.max(-r, x0[j]!));
    return;
  }
  // torch.clamp(s, min=1, max=maxValue): max wins where maxValue < 1.
  const s = Math.min(correction.maxValue, Math.max(1, absQuantile(x0, correction.ratio, scratch)));
  for (let j = 0; j < n; j++) x0[j] = Math.min(s, Math.max(-s, x0[j]!)) / s;
}
