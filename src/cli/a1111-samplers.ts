import type { NoiseGenerator, SchedulerName } from "../compiler/plan/plan.js";

/**
 * Automatic1111's names for scenec's scheduler and noise vocabularies, as its infotext (the PNG's
 * `parameters` text) writes them: the one table each way out (`parameters`) and back in (reading
 * an A1111 PNG). A1111 1.9 and later name the sampler and its sigma schedule apart
 * (`Sampler: DPM++ 2M, Schedule type: Karras`); older versions wrote `DPM++ 2M Karras`.
 */

/** `Sampler:` for each scheduler (A1111's k-diffusion samplers of the same algorithm; DDIM is its own). */
export const A1111_SAMPLERS: Readonly<Record<SchedulerName, string>> = {
  lms: "LMS",
  euler: "Euler",
  euler_ancestral: "Euler a",
  ddim: "DDIM",
  dpmpp_2m: "DPM++ 2M",
};

/** `Schedule type:` of a scheduler with Karras sigmas (`scheduler NAME karras`); without, the key is left out (A1111 reads that as its default). */
export const A1111_KARRAS_SCHEDULE = "Karras";

/**
 * `RNG:` for each noise generator. A1111's `CPU` is torch.randn on the CPU, what `noise torch`
 * draws; `NV` its CPU reimplementation of torch CUDA's Philox, what `noise philox` draws (A1111's
 * `GPU` seeds on an NVIDIA card match it up to float rounding); `scenec` is scenec's own
 * generator, which no other tool has.
 */
export const A1111_RNG: Readonly<Record<NoiseGenerator, string>> = {
  scenec: "scenec",
  torch: "CPU",
  philox: "NV",
};
