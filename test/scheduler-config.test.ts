/**
 * scheduler_config.json keys as diffusers' `TargetScheduler.from_config` takes them: the spacing
 * tables per scheduler (hand-computed from diffusers' formulas), each honoured key changing the
 * result as diffusers would, refused keys stopping with a message, and the conformance cases'
 * configs giving the timesteps, sigmas and init_noise_sigma diffusers recorded.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SD15_SCHEDULER_JSON } from "./helpers/sd15-scheduler-config.js";
import { CONFIG_KEYS } from "../src/runtime/schedulers/config-keys.js";
import { DdimScheduler } from "../src/runtime/schedulers/ddim.js";
import { noiseSchedule } from "../src/runtime/schedulers/noise-schedule.js";
import { absQuantile } from "../src/runtime/schedulers/x0-correction.js";
import {
  SCHEDULER_NAMES,
  SD_SCHEDULER_CONFIG,
  createScheduler,
  parseSchedulerConfig,
  type SchedulerConfig,
  type SchedulerName,
} from "../src/runtime/schedulers/scheduler.js";

const SD = SD_SCHEDULER_CONFIG;
const table = noiseSchedule(SD);
const f32 = Math.fround;
const make = (name: SchedulerName, steps: number, config: Partial<SchedulerConfig>, karras = false) =>
  createScheduler(name, steps, { karras, config: { ...SD, ...config } });

describe("timestep spacing per scheduler (diffusers' formulas, N = 1000, 12 steps, steps_offset 1)", () => {
  // linspace: np.linspace(0, 999, 12) = 0, 90.818…, 181.636…, …; leading: arange(12)·83 + 1;
  // trailing: round(1000 − i·83.333…) − 1.
  const leading = [914, 831, 748, 665, 582, 499, 416, 333, 250, 167, 84, 1];
  const trailing = [999, 916, 832, 749, 666, 582, 499, 416, 332, 249, 166, 82];
  it("σ schedulers: linspace fractional (no offset), leading with the offset, trailing", () => {
    for (const name of ["lms", "euler", "euler_ancestral"] as const) {
      const lin = make(name, 12, { timestepSpacing: "linspace" }).timesteps;
      expect(lin[0]).toBe(999);
      expect(lin[1]).toBe(f32((999 * 10) / 11));
      expect(lin[11]).toBe(0);
      expect([...make(name, 12, { timestepSpacing: "leading" }).timesteps]).toEqual(leading);
      expect([...make(name, 12, { timestepSpacing: "trailing" }).timesteps]).toEqual(trailing);
    }
  });
  it("DDIM: linspace rounded (no offset), leading by default", () => {
    expect([...make("ddim", 12, { timestepSpacing: "linspace" }).timesteps]).toEqual([999, 908, 817, 727, 636, 545, 454, 363, 272, 182, 91, 0]);
    expect([...make("ddim", 12, {}).timesteps]).toEqual(leading);
    expect([...make("ddim", 12, { timestepSpacing: "trailing" }).timesteps]).toEqual(trailing);
  });
  it("DPM-Solver: steps + 1 points, the last dropped; linspace by default", () => {
    // np.linspace(0, 999, 13).round() = 0, 83, 166, 250, …; leading: arange(13)·(1000 // 13 = 76) + 1.
    expect([...make("dpmpp_2m", 12, {}).timesteps]).toEqual([999, 916, 832, 749, 666, 583, 500, 416, 333, 250, 166, 83]);
    expect([...make("dpmpp_2m", 12, { timestepSpacing: "leading" }).timesteps]).toEqual([913, 837, 761, 685, 609, 533, 457, 381, 305, 229, 153, 77]);
    expect([...make("dpmpp_2m", 12, { timestepSpacing: "trailing" }).timesteps]).toEqual(trailing);
  });
  it("init_noise_sigma: σmax for linspace and trailing, sqrt(σmax² + 1) for leading; 1 on the VP scale", () => {
    expect(make("euler", 12, { timestepSpacing: "trailing" }).initNoiseSigma).toBe(table.sigmas[999]);
    const lead = make("lms", 12, { timestepSpacing: "leading" });
    expect(lead.initNoiseSigma).toBeCloseTo(Math.hypot(table.sigmas[914]!, 1), 6);
    expect(make("ddim", 12, {}).initNoiseSigma).toBe(1);
  });
});

describe("DDIM steps to t − N // steps, as diffusers", () => {
  it("linspace: step k lands on ᾱ[t_k − 83], not on the next timestep; the last on final_alpha_cumprod", () => {
    const s = make("ddim", 12, { timestepSpacing: "linspace" }) as DdimScheduler;
    expect(s.alphasCumprodPrev[0]).toBe(table.alphasCumprod[916]);
    expect(s.alphasCumprod[1]).toBe(table.alphasCumprod[908]);
    expect(s.alphasCumprodPrev[10]).toBe(table.alphasCumprod[8]);
    expect(s.alphasCumprodPrev[11]).toBe(table.alphasCumprod[0]); // set_alpha_to_one false
    // sigmas[k] is the level step k takes its input at, sigmas[12] where the last step lands.
    expect(s.sigmas[1]).toBeCloseTo(table.sigmas[908]!, 6);
    expect(s.sigmas[12]).toBeCloseTo(table.sigmas[0]!, 6);
  });
  it("trailing, 7 steps: the last step lands on ᾱ[142 − 142] = ᾱ_0 even with set_alpha_to_one", () => {
    const s = make("ddim", 7, { timestepSpacing: "trailing", setAlphaToOne: true }) as DdimScheduler;
    expect(s.timesteps[6]).toBe(142);
    expect(s.alphasCumprodPrev[6]).toBe(table.alphasCumprod[0]);
  });
  it("leading: every step lands on the next timestep (the conformance cases' spacing)", () => {
    const s = make("ddim", 12, {}) as DdimScheduler;
    for (let i = 0; i < 11; i++) expect(s.alphasCumprodPrev[i]).toBe(s.alphasCumprod[i + 1]);
  });
});

/** One DDIM/DPM step with a constant model output `m` from a constant sample `x`. */
function stepOnce(name: SchedulerName, config: Partial<SchedulerConfig>, x: number, m: number, i = 0, steps = 12): Float32Array {
  const s = make(name, steps, config);
  const sample = new Float32Array(8).fill(x);
  for (let k = 0; k < i; k++) s.step(new Float32Array(8).fill(m), k, sample);
  s.step(new Float32Array(8).fill(m), i, sample);
  return sample;
}

describe("DDIM clip_sample (the class default is true)", () => {
  // Step 11 of leading 12: t = 1, ᾱ_t = ᾱ[1], ᾱ_prev = ᾱ_0. A model output of −20 from x = 0.5
  // predicts x0 = (0.5 + 20·sqrt(1−ᾱ_t))/sqrt(ᾱ_t) ≈ 1.33 > 1.
  const at = table.alphasCumprod[1]!;
  const ap = table.alphasCumprod[0]!;
  const x = 0.5;
  const m = -20;
  const x0 = (x - Math.sqrt(1 - at) * m) / Math.sqrt(at);
  const landed = (x0c: number) => Math.sqrt(ap) * x0c + Math.sqrt(1 - ap) * m;
  const step = (config: Partial<SchedulerConfig>) => {
    const s = make("ddim", 12, config);
    const sample = new Float32Array([x, x]);
    const out = new Float32Array([m, m]);
    for (let i = 0; i < 12; i++) {
      sample.fill(x);
      s.step(out, i, sample);
    }
    return sample[0]!;
  };
  it("absent: clamps x0 to [−1, 1] and keeps ε unclipped", () => {
    expect(x0).toBeGreaterThan(1);
    const { clipSample: _off, ...noKey } = SD;
    const s = createScheduler("ddim", 12, { karras: false, config: noKey });
    const sample = new Float32Array([x]);
    for (let i = 0; i < 12; i++) {
      sample.fill(x);
      s.step(new Float32Array([m]), i, sample);
    }
    expect(sample[0]).toBeCloseTo(landed(1), 6);
  });
  it("false (SD's configs): no clamp; clip_sample_range sets the bound", () => {
    expect(step({ clipSample: false })).toBeCloseTo(landed(x0), 5);
    expect(step({ clipSample: true, clipSampleRange: 0.5 })).toBeCloseTo(landed(0.5), 6);
  });
  it("the built-in model's and SD 1.5's configs say clip_sample false", () => {
    expect(SD.clipSample).toBe(false);
  });
});

describe("dynamic thresholding (DDIM and DPM++)", () => {
  it("torch.quantile's linear interpolation", () => {
    const v = Float32Array.from([-4, 1, 2, -3, 0]);
    expect(absQuantile(v, 0.5, new Float32Array(5))).toBe(2);
    expect(absQuantile(v, 0.9, new Float32Array(5))).toBeCloseTo(3.6, 6);
  });
  it("x0 is clamped to ±s and divided by s, s = clamp(quantile(|x0|), 1, sample_max_value)", () => {
    // DPM++ with final σ = 0: the last step returns x0 itself. Euler at final keeps it first order.
    const s = make("dpmpp_2m", 1, { thresholding: true, sampleMaxValue: 2 });
    const sigma = s.sigmas[0]!;
    const alpha = 1 / Math.sqrt(sigma * sigma + 1);
    // x0 = (x − σ_VP·ε)/α with ε = 0: x0 = x/α; choose x0 = [−3, 0.5, 1.5, 4].
    const x0 = [-3, 0.5, 1.5, 4];
    const sample = Float32Array.from(x0, (v) => v * alpha);
    s.step(new Float32Array(4), 0, sample);
    // quantile(|x0|, 0.995) ≈ 3.97, clamped to 2: clamp(x0, ±2)/2.
    expect([...sample].map((v) => +v.toFixed(5))).toEqual([-1, 0.25, 0.75, 1]);
    const plain = make("dpmpp_2m", 1, {});
    const same = Float32Array.from(x0, (v) => v * alpha);
    plain.step(new Float32Array(4), 0, same);
    expect(same[3]).toBeCloseTo(4, 5);
  });
  it("DDIM: thresholding takes precedence over clip_sample", () => {
    const a = stepOnce("ddim", { thresholding: true, clipSample: true, sampleMaxValue: 1 }, 0.5, -1, 11);
    const b = stepOnce("ddim", { clipSample: true }, 0.5, -1, 11);
    const none = stepOnce("ddim", { clipSample: false }, 0.5, -1, 11);
    expect(a[0]).toBeCloseTo(b[0]!, 6); // s clamps to 1: the same as clipping to ±1
    expect(a[0]).not.toBeCloseTo(none[0]!, 3);
  });
});

describe("Euler's own keys", () => {
  it("interpolation_type log_linear: steps + 1 σ even in log σ from σmax to σmin; the last step lands on σmin", () => {
    const s = make("euler", 4, { interpolationType: "log_linear" });
    const lmax = f32(Math.log(table.sigmas[999]!));
    const lmin = f32(Math.log(table.sigmas[0]!));
    for (let k = 0; k <= 4; k++) expect(s.sigmas[k]).toBeCloseTo(Math.exp(lmax + ((lmin - lmax) * k) / 4), 5);
    expect(s.sigmas[4]).toBeCloseTo(table.sigmas[0]!, 6);
    expect([...s.timesteps]).toEqual([...make("euler", 4, {}).timesteps]); // the spaced timesteps, as diffusers pairs them
    expect(make("lms", 4, { interpolationType: "log_linear" }).sigmas[4]).toBe(0); // LMS's class has no such key
  });
  it("final_sigmas_type sigma_min (Euler and DPM++): the last step lands on σ(0)", () => {
    expect(make("euler", 12, { finalSigmasType: "sigma_min" }).sigmas[12]).toBe(table.sigmas[0]);
    expect(make("dpmpp_2m", 12, { finalSigmasType: "sigma_min" }).sigmas[12]).toBe(table.sigmas[0]);
    expect(make("euler_ancestral", 12, { finalSigmasType: "sigma_min" }).sigmas[12]).toBe(0);
    // addNoise's level `steps` still means clean, as the guides expect after the last step.
    const original = Float32Array.from([0.25, -0.5]);
    const out = new Float32Array(2);
    make("euler", 12, { finalSigmasType: "sigma_min" }).addNoise(original, Float32Array.from([1, 1]), 12, out);
    expect([...out]).toEqual([...original]);
  });
  it("timestep_type continuous with v_prediction feeds 0.25·log σ; with epsilon nothing changes", () => {
    const v = make("euler", 12, { timestepType: "continuous", predictionType: "v_prediction" });
    expect(v.timesteps[0]).toBe(f32(0.25 * f32(Math.log(v.sigmas[0]!))));
    expect([...make("euler", 12, { timestepType: "continuous" }).timesteps]).toEqual([...make("euler", 12, {}).timesteps]);
  });
  it("sigma_min / sigma_max set the ends of the Karras ramp", () => {
    const s = make("euler", 12, { sigmaMin: 0.1, sigmaMax: 10 }, true);
    expect(s.sigmas[0]).toBeCloseTo(10, 5);
    expect(s.sigmas[11]).toBeCloseTo(0.1, 6);
    expect(make("euler", 12, { sigmaMin: 0.1, sigmaMax: 10 }).sigmas[0]).toBe(table.sigmas[999]); // no Karras: unused
  });
});

describe("DPM-Solver++'s own keys", () => {
  /** The last step's result from a history where the previous x0 prediction differs from this one. */
  const lastStep = (steps: number, config: Partial<SchedulerConfig>) => {
    const s = make("dpmpp_2m", steps, config);
    const sample = new Float32Array([1]);
    for (let i = 0; i < steps; i++) s.step(new Float32Array([i === steps - 1 ? 0.5 : -0.5]), i, sample);
    return sample[0]!;
  };
  it("lower_order_final / euler_at_final decide the order of the last step to σmin (≥ 15 steps)", () => {
    const base = { finalSigmasType: "sigma_min" as const };
    const second = lastStep(20, base);
    expect(lastStep(20, { ...base, eulerAtFinal: true })).not.toBeCloseTo(second, 6);
    expect(lastStep(10, { ...base, lowerOrderFinal: false })).not.toBeCloseTo(lastStep(10, base), 6);
    expect(lastStep(20, { ...base, lowerOrderFinal: false })).toBeCloseTo(second, 9); // only below 15 steps
  });
  it("solver_type heun changes the second-order steps; logrho maps to midpoint", () => {
    const mid = lastStep(20, { finalSigmasType: "sigma_min" });
    expect(lastStep(20, { finalSigmasType: "sigma_min", solverType: "heun" })).not.toBeCloseTo(mid, 6);
    expect(parseSchedulerConfig({ solver_type: "logrho" }).solverType).toBe("midpoint");
  });
  it("lambda_min_clipped cuts the top of the schedule; use_lu_lambdas spaces log σ evenly", () => {
    const clipped = make("dpmpp_2m", 12, { lambdaMinClipped: -2 });
    // λ(t) = −log σ(t) < −2 where σ > e²: those timesteps are cut.
    const kept = Array.from(table.sigmas).filter((s) => -Math.log(s) >= -2).length;
    expect(clipped.timesteps[0]).toBe(kept - 1);
    const lu = make("dpmpp_2m", 12, { useLuLambdas: true });
    const logs = Array.from(lu.sigmas.subarray(0, 12), Math.log);
    for (let i = 1; i < 12; i++) expect(logs[i]! - logs[i - 1]!).toBeCloseTo(logs[1]! - logs[0]!, 5);
    expect(lu.sigmas[0]).toBeCloseTo(table.sigmas[999]!, 5);
  });
});

describe("the key table and refused keys", () => {
  it("a scheduler ignores exactly the keys its diffusers class does not have", () => {
    // The __init__ parameters of diffusers 0.40's classes.
    const common = ["num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "trained_betas", "prediction_type", "timestep_spacing", "steps_offset"];
    const sigmas = ["use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas"];
    const thresholds = ["thresholding", "dynamic_thresholding_ratio", "sample_max_value"];
    const classes: Record<SchedulerName, string[]> = {
      lms: [...common, ...sigmas],
      euler: [...common, ...sigmas, "interpolation_type", "sigma_min", "sigma_max", "timestep_type", "rescale_betas_zero_snr", "final_sigmas_type"],
      euler_ancestral: [...common, "rescale_betas_zero_snr"],
      ddim: [...common, ...thresholds, "clip_sample", "set_alpha_to_one", "clip_sample_range", "rescale_betas_zero_snr"],
      dpmpp_2m: [
        ...common,
        ...sigmas,
        ...thresholds,
        "solver_order",
        "algorithm_type",
        "solver_type",
        "lower_order_final",
        "euler_at_final",
        "use_lu_lambdas",
        "use_flow_sigmas",
        "flow_shift",
        "final_sigmas_type",
        "lambda_min_clipped",
        "variance_type",
        "rescale_betas_zero_snr",
        "use_dynamic_shifting",
        "time_shift_type",
      ],
    };
    const all = new Set(Object.values(classes).flat());
    expect(new Set(Object.keys(CONFIG_KEYS))).toEqual(all);
    // LMS refuses the zero-SNR rescaling its class would silently skip (the model was trained with it).
    const refusedAnyway = new Set(["lms rescale_betas_zero_snr"]);
    for (const name of SCHEDULER_NAMES) {
      for (const key of all) {
        const has = classes[name].includes(key) || refusedAnyway.has(`${name} ${key}`);
        // flow_shift and time_shift_type only matter with the refused flow-matching keys.
        if (key === "flow_shift" || key === "time_shift_type") continue;
        expect(CONFIG_KEYS[key]!.roles[name] !== "ignored", `${name} ${key}`).toBe(has);
      }
    }
  });
  it("a key scenec lacks stops the scheduler that would honour it, naming key, value and what to do", () => {
    const config = parseSchedulerConfig({ ...SD15_SCHEDULER_JSON, use_exponential_sigmas: true });
    for (const name of ["lms", "euler", "dpmpp_2m"] as const) {
      expect(() => createScheduler(name, 12, { karras: false, config })).toThrow(
        new RegExp(`"use_exponential_sigmas" is true, which scenec's ${name} does not implement.*edit scheduler/scheduler_config.json.*euler_ancestral, ddim`),
      );
    }
    expect(() => createScheduler("ddim", 12, { karras: false, config })).not.toThrow(); // DDIM's class has no such key
    const flow = parseSchedulerConfig({ ...SD15_SCHEDULER_JSON, use_flow_sigmas: true, variance_type: "learned" });
    expect(() => createScheduler("dpmpp_2m", 12, { karras: false, config: flow })).toThrow(/"use_flow_sigmas" is true/);
    expect(() => createScheduler("euler", 12, { karras: false, config: flow })).not.toThrow();
  });
  it("defaults of refused keys, and keys that pick another algorithm, are accepted (the scene decides)", () => {
    const config = parseSchedulerConfig({ ...SD15_SCHEDULER_JSON, use_exponential_sigmas: false, variance_type: null, algorithm_type: "sde-dpmsolver++", solver_order: 3, use_karras_sigmas: true });
    expect(config.unsupported).toBeUndefined();
    const plain = make("dpmpp_2m", 12, {});
    expect([...createScheduler("dpmpp_2m", 12, { karras: false, config }).timesteps]).toEqual([...plain.timesteps]);
  });
  it("bad types are refused with the key's name", () => {
    expect(() => parseSchedulerConfig({ clip_sample: "yes" })).toThrow(/"clip_sample" is "yes"; it must be true or false/);
    expect(() => parseSchedulerConfig({ interpolation_type: "cubic" })).toThrow(/"interpolation_type" is "cubic"; it must be one of "linear", "log_linear"/);
    expect(() => parseSchedulerConfig({ dynamic_thresholding_ratio: 2 })).toThrow(/"dynamic_thresholding_ratio" is 2; it must be a number from 0 to 1/);
    expect(() => parseSchedulerConfig({ solver_type: 3 })).toThrow(/"solver_type"/);
    const built = { ...SD, interpolationType: "cubic" } as unknown as SchedulerConfig;
    expect(() => createScheduler("euler", 12, { karras: false, config: built })).toThrow(/unsupported interpolationType "cubic"/);
  });
});


/** The diffusers reference cases (../shared/conformance), where this checkout has them. */
const CASES = path.resolve(import.meta.dirname, "../../shared/conformance/cases");
const CLASSES: Record<string, SchedulerName> = {
  LMSDiscreteScheduler: "lms",
  EulerDiscreteScheduler: "euler",
  DDIMScheduler: "ddim",
  DPMSolverMultistepScheduler: "dpmpp_2m",
};

/** Within `ulps` float32 units in the last place (torch's `** 0.5` is not always correctly rounded). */
function expectUlps(actual: ArrayLike<number>, expected: readonly number[], ulps: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const ulp = e === 0 ? 0 : 2 ** (Math.floor(Math.log2(Math.abs(e))) - 23);
    expect(Math.abs(actual[i]! - e), `${what}[${i}]: ${actual[i]} vs ${e}`).toBeLessThanOrEqual(ulps * ulp);
  }
}

describe.skipIf(!existsSync(CASES))("conformance cases: every config parses and gives diffusers' schedule", () => {
  for (const name of existsSync(CASES) ? readdirSync(CASES) : []) {
    it(name, () => {
      // Python's json writes lambda_min_clipped's default as -Infinity, which JSON lacks; null means the default.
      const c = JSON.parse(readFileSync(path.join(CASES, name, "case.json"), "utf8").replace(/-Infinity/g, "null")) as {
        steps: number;
        scheduler: { class: string; config: Record<string, unknown> };
        timesteps: number[];
        sigmas: number[];
        init_noise_sigma: number;
      };
      const config = parseSchedulerConfig(c.scheduler.config);
      const s = createScheduler(CLASSES[c.scheduler.class]!, c.steps, { karras: c.scheduler.config.use_karras_sigmas === true, config });
      expect([...s.timesteps]).toEqual(c.timesteps);
      if (c.sigmas.length > 0) expectUlps(s.sigmas, c.sigmas, 1, "sigmas");
      expectUlps([s.initNoiseSigma], [c.init_noise_sigma], 1, "init_noise_sigma");
    });
  }
});
