import { describe, expect, it } from "vitest";
import { SD15_SCHEDULER_JSON } from "./helpers/sd15-scheduler-config.js";
import type { EulerAncestralScheduler } from "../src/runtime/schedulers/euler-ancestral.js";
import { lmsCoefficients } from "../src/runtime/schedulers/lms.js";
import {
  ddimTimesteps,
  dpmTimesteps,
  karrasSigmas,
  noiseSchedule,
  roundHalfEven,
  sigmaSchedulerTimesteps,
  sigmaToT,
  trainingSigmas,
} from "../src/runtime/schedulers/noise-schedule.js";
import {
  SD_SCHEDULER_CONFIG,
  SCHEDULER_NAMES,
  createScheduler,
  parseSchedulerConfig,
  type SchedulerConfig,
} from "../src/runtime/schedulers/scheduler.js";

const SD = SD_SCHEDULER_CONFIG;
const LEADING: SchedulerConfig = { ...SD, timestepSpacing: "leading" };
const TRAILING: SchedulerConfig = { ...SD, timestepSpacing: "trailing" };

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (Math.abs(actual[i]! - e) > tol * Math.max(1, Math.abs(e))) {
      throw new Error(`element ${i}: ${actual[i]} vs ${e} (tolerance ${tol})`);
    }
  }
}

describe("training noise schedule (diffusers' torch float32 values)", () => {
  const table = noiseSchedule(SD);
  it("σ and ᾱ at both ends", () => {
    // As the conformance cases record them (torch's cumprod accumulates in float64; numpy's
    // float32 product would give σ(999) = 14.614655).
    expect(table.sigmas[999]).toBe(14.614646911621094);
    expect(table.sigmas[0]).toBeCloseTo(0.02916753478348255, 8);
    expect(table.alphasCumprod[0]).toBeCloseTo(0.99914998, 8);
    expect(table.alphasCumprod[999]).toBeCloseTo(0.004660095, 8);
    expect(trainingSigmas(SD)).toHaveLength(1000);
  });
  it("σ increases with t and the values are float32", () => {
    for (let t = 1; t < 1000; t++) expect(table.sigmas[t]!).toBeGreaterThan(table.sigmas[t - 1]!);
    for (const v of [table.sigmas[500]!, table.alphasCumprod[500]!]) expect(Math.fround(v)).toBe(v);
  });
  it("linear beta schedule", () => {
    const lin = noiseSchedule({ ...SD, betaSchedule: "linear", betaStart: 0.0001, betaEnd: 0.02 });
    expect(lin.betas[0]).toBeCloseTo(0.0001, 9);
    expect(lin.betas[999]).toBeCloseTo(0.02, 9);
  });
  it("numpy's half-to-even rounding", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 937.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 938, 2, 3]);
  });
});

describe("timestep spacing", () => {
  it("linspace is fractional float32", () => {
    const t = sigmaSchedulerTimesteps("linspace", 50, 1000, 1);
    expectClose(t.subarray(0, 4), [999, 978.61224, 958.2245, 937.83673], 1e-7);
    expect(t[49]).toBe(0);
    expect(Math.fround(t[1]!)).toBe(t[1]);
  });
  it("trailing", () => {
    expect([...sigmaSchedulerTimesteps("trailing", 1, 1000, 1)]).toEqual([999]);
    expect([...sigmaSchedulerTimesteps("trailing", 2, 1000, 1)]).toEqual([999, 499]);
    expect([...sigmaSchedulerTimesteps("trailing", 4, 1000, 1)]).toEqual([999, 749, 499, 249]);
    expect([...ddimTimesteps("trailing", 3, 1000, 1)]).toEqual([999, 666, 332]);
    expect([...dpmTimesteps("trailing", 7, 1000, 1)]).toEqual([999, 856, 713, 570, 428, 285, 142]);
    // 1000/16 = 62.5: 937.5 rounds half to even.
    expect([...sigmaSchedulerTimesteps("trailing", 16, 1000, 1)].slice(0, 4)).toEqual([999, 937, 874, 811]);
    // Always exactly `steps` values (numpy's arange gives 62 here).
    expect(sigmaSchedulerTimesteps("trailing", 61, 1000, 1)).toHaveLength(61);
  });
  it("DDIM linspace rounds", () => {
    expect([...ddimTimesteps("linspace", 50, 1000, 1)].slice(0, 8)).toEqual([999, 979, 958, 938, 917, 897, 877, 856]);
  });
  it("one linspace step starts at the top (not numpy's 0)", () => {
    expect([...sigmaSchedulerTimesteps("linspace", 1, 1000, 1)]).toEqual([999]);
  });
});

describe("LMS", () => {
  it("init_noise_sigma: linspace σmax, leading sqrt(σmax²+1)", () => {
    expect(createScheduler("lms", 50, { karras: false, config: SD }).initNoiseSigma).toBe(14.614646911621094);
    // sqrt(σ(981)² + 1), σ(981) = 13.12043
    expect(createScheduler("lms", 50, { karras: false, config: LEADING }).initNoiseSigma).toBeCloseTo(13.158469, 5);
  });
  it("exact step-3 coefficients (2-point Gauss–Legendre)", () => {
    const s = createScheduler("lms", 50, { karras: false, config: SD });
    const c = lmsCoefficients(s.sigmas, 3, 4);
    // ∫ of each Lagrange basis polynomial from σ_3 to σ_4, by Simpson's rule (exact for cubics).
    const nodes = [3, 2, 1, 0].map((k) => s.sigmas[k]!);
    const basis = (j: number, x: number) => nodes.reduce((p, sk, k) => (k === j ? p : (p * (x - sk)) / (nodes[j]! - sk)), 1);
    const a = s.sigmas[3]!;
    const b = s.sigmas[4]!;
    const simpson = (j: number) => ((b - a) / 6) * (basis(j, a) + 4 * basis(j, (a + b) / 2) + basis(j, b));
    expectClose(c, [0, 1, 2, 3].map(simpson), 1e-12);
  });
  it("coefficients sum to σ_{t+1} − σ_t and reproduce a cubic's integral", () => {
    const s = createScheduler("lms", 50, { karras: false, config: SD });
    for (let t = 0; t < 50; t++) {
      const order = Math.min(t + 1, 4);
      const c = lmsCoefficients(s.sigmas, t, order);
      const sum = c.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - (s.sigmas[t + 1]! - s.sigmas[t]!))).toBeLessThan(1e-12 * Math.max(1, s.sigmas[t]!));
    }
    // f(τ) = τ³ − 2τ: Σ c_j f(σ_{t−j}) = ∫ f exactly.
    const sig = [5, 3.5, 2.2, 1.3, 0.6];
    const f = (x: number) => x ** 3 - 2 * x;
    const F = (x: number) => x ** 4 / 4 - x * x;
    const c = lmsCoefficients(sig, 3, 4);
    const quad = c[0]! * f(sig[3]!) + c[1]! * f(sig[2]!) + c[2]! * f(sig[1]!) + c[3]! * f(sig[0]!);
    expect(quad).toBeCloseTo(F(sig[4]!) - F(sig[3]!), 12);
  });
  it("rejects an order it cannot have", () => {
    expect(() => lmsCoefficients([3, 2, 1], 0, 2)).toThrow(RangeError);
    expect(() => lmsCoefficients([5, 4, 3, 2, 1, 0], 4, 5)).toThrow(RangeError);
  });
});

describe("Euler", () => {
  it("leading (SDXL), 30 steps", () => {
    const s = createScheduler("euler", 30, { karras: false, config: LEADING });
    const expected = Array.from({ length: 30 }, (_, i) => 958 - 33 * i);
    expect([...s.timesteps]).toEqual(expected);
    expect(s.timesteps[29]).toBe(1);
    expect(s.sigmas[0]).toBeCloseTo(11.476851, 5);
    expect(s.initNoiseSigma).toBeCloseTo(11.520334, 5);
    expect(s.sigmas[30]).toBe(0);
  });
  it("linspace (SD1.5 config) feeds fractional timesteps", () => {
    const s = createScheduler("euler", 50, { karras: false, config: SD });
    expect(s.timesteps[1]).toBeCloseTo(978.6122, 4);
    expect(s.initNoiseSigma).toBe(14.614646911621094);
    expect(s.inputScale(0)).toBeCloseTo(1 / Math.sqrt(14.614647 ** 2 + 1), 7);
  });
  it("Karras sigmas and σ→t timesteps match diffusers (leading, 30 steps; numpy replica)", () => {
    const s = createScheduler("euler", 30, { karras: true, config: LEADING });
    expectClose(s.sigmas.subarray(0, 4), [11.47685718536377, 10.031299591064453, 8.74470043182373, 7.602217674255371], 1e-6);
    expect(s.sigmas[29]).toBeCloseTo(0.04131447896361351, 7);
    expectClose(s.timesteps.subarray(0, 4), [958, 934.0720825195312, 908.7943115234375, 882.0245971679688], 1e-5);
    expectClose(s.timesteps.subarray(26), [9.478730201721191, 5.204529762268066, 2.600912570953369, 1.0000001192092896], 1e-4);
  });
});

describe("DDIM", () => {
  it("leading by default, 50 steps, int timesteps", () => {
    const s = createScheduler("ddim", 50, { karras: false, config: SD });
    expect([...s.timesteps]).toEqual(Array.from({ length: 50 }, (_, i) => 981 - 20 * i));
    expect(s.initNoiseSigma).toBe(1);
    expect(s.inputScale(7)).toBe(1);
  });
  it("final ᾱ: ᾱ_0 with set_alpha_to_one false, 1 when absent (class default)", () => {
    const s = createScheduler("ddim", 50, { karras: false, config: SD });
    expect(s.sigmas[50]).toBeCloseTo(0.029168, 6);
    const { setAlphaToOne: _drop, ...rest } = SD;
    expect(createScheduler("ddim", 50, { karras: false, config: rest }).sigmas[50]).toBe(0);
  });
  it("trailing", () => {
    expect([...createScheduler("ddim", 4, { karras: false, config: TRAILING }).timesteps]).toEqual([999, 749, 499, 249]);
  });
  it("Karras: integer timesteps spanning DDIM's own range", () => {
    const s = createScheduler("ddim", 50, { karras: true, config: SD });
    expect(s.timesteps[0]).toBe(981);
    expect(s.timesteps[49]).toBe(1);
    for (const t of s.timesteps) expect(Number.isInteger(t)).toBe(true);
  });
});

describe("DPM++ 2M", () => {
  it("linspace by default, 25 steps", () => {
    const s = createScheduler("dpmpp_2m", 25, { karras: false, config: SD });
    expect([...s.timesteps]).toEqual([
      999, 959, 919, 879, 839, 799, 759, 719, 679, 639, 599, 559, 519, 480, 440, 400, 360, 320, 280, 240, 200, 160, 120, 80, 40,
    ]);
    expect(s.initNoiseSigma).toBe(1);
    expect(s.sigmas[25]).toBe(0);
    expect(s.sigmas[0]).toBe(14.614646911621094);
  });
  it("leading uses N // (steps + 1)", () => {
    const s = createScheduler("dpmpp_2m", 25, { karras: false, config: LEADING });
    expect(s.timesteps[0]).toBe(25 * 38 + 1);
    expect(s.timesteps[24]).toBe(39);
  });
  it("Karras over the whole training range, rounded σ→t (diffusers, numpy replica)", () => {
    const s = createScheduler("dpmpp_2m", 25, { karras: true, config: SD });
    expect([...s.timesteps]).toEqual([
      999, 970, 938, 905, 868, 829, 786, 739, 687, 630, 568, 500, 427, 352, 278, 207, 146, 96, 59, 34, 18, 9, 4, 1, 0,
    ]);
    expectClose(s.sigmas.subarray(0, 5), [14.6146555, 12.283049, 10.277838, 8.560023, 7.0944242], 1e-6);
    expect(s.sigmas[24]).toBeCloseTo(0.029168, 6);
  });
});

describe("Karras sigmas and σ→t", () => {
  const table = noiseSchedule(SD);
  it("decrease monotonically from σmax to σmin", () => {
    for (const n of [1, 2, 5, 30, 100]) {
      const k = karrasSigmas(14.614655, 0.029168, n);
      expect(k[0]).toBeCloseTo(14.614655, 10);
      if (n > 1) expect(k[n - 1]).toBeCloseTo(0.029168, 10);
      for (let i = 1; i < n; i++) expect(k[i]!).toBeLessThan(k[i - 1]!);
    }
    for (const name of SCHEDULER_NAMES) {
      const s = createScheduler(name, 40, { karras: true, config: SD });
      for (let i = 1; i < 40; i++) expect(s.sigmas[i]!).toBeLessThan(s.sigmas[i - 1]!);
      for (let i = 1; i < 40; i++) expect(s.timesteps[i]!).toBeLessThanOrEqual(s.timesteps[i - 1]!);
    }
  });
  it("σ→t inverts the table and interpolates log σ", () => {
    for (const t of [0, 1, 17, 500, 998, 999]) expect(sigmaToT(table.sigmas[t]!, table.logSigmas)).toBeCloseTo(t, 9);
    const mid = Math.sqrt(table.sigmas[100]! * table.sigmas[101]!);
    expect(sigmaToT(mid, table.logSigmas)).toBeCloseTo(100.5, 9);
    expect(sigmaToT(1e-5, table.logSigmas)).toBe(0);
    expect(sigmaToT(1e5, table.logSigmas)).toBe(999);
  });
});

describe("createScheduler", () => {
  it("needsNoise only for euler_ancestral", () => {
    for (const name of SCHEDULER_NAMES) {
      expect(createScheduler(name, 10, { karras: false, config: SD }).needsNoise).toBe(name === "euler_ancestral");
    }
  });
  it("rejects bad arguments", () => {
    expect(() => createScheduler("euler", 0, { karras: false, config: SD })).toThrow(RangeError);
    expect(() => createScheduler("euler", 2.5, { karras: false, config: SD })).toThrow(RangeError);
    expect(() => createScheduler("nope" as never, 10, { karras: false, config: SD })).toThrow(/unknown scheduler/);
    expect(() => createScheduler("euler", 10, { karras: false, config: { ...SD, betaEnd: 2 } })).toThrow(/betaEnd/);
    const s = createScheduler("euler", 10, { karras: false, config: SD });
    const a = new Float32Array(4);
    expect(() => s.step(a, 10, a)).toThrow(RangeError);
    expect(() => s.step(new Float32Array(3), 0, a)).toThrow(RangeError);
    expect(() => s.addNoise(a, a, 11, a)).toThrow(RangeError);
  });
  it("euler_ancestral asks for noise where it adds some", () => {
    const s = createScheduler("euler_ancestral", 10, { karras: false, config: SD });
    const a = new Float32Array(4);
    expect(() => s.step(a, 0, new Float32Array(4))).toThrow(/needs noise/);
    // The last step (σ → 0) adds none.
    expect(() => s.step(a, 9, new Float32Array(4))).not.toThrow();
  });
  it("euler_ancestral splits σ_next² into σ_down² + σ_up²", () => {
    const s = createScheduler("euler_ancestral", 20, { karras: false, config: SD }) as EulerAncestralScheduler;
    for (let i = 0; i < 20; i++) {
      const to = s.sigmas[i + 1]!;
      expect(s.sigmaDown(i) ** 2 + s.sigmaUp(i) ** 2).toBeCloseTo(to * to, 10);
      expect(s.sigmaUp(i)).toBeCloseTo((to / s.sigmas[i]!) * Math.sqrt(s.sigmas[i]! ** 2 - to * to), 10);
    }
    expect(s.sigmaUp(19)).toBe(0);
  });
});

describe("parseSchedulerConfig", () => {
  const sd15 = SD15_SCHEDULER_JSON;
  it("reads SD1.5's file as SD_SCHEDULER_CONFIG", () => {
    expect(parseSchedulerConfig(sd15)).toEqual(SD_SCHEDULER_CONFIG);
    expect(parseSchedulerConfig(JSON.stringify(sd15))).toEqual(SD_SCHEDULER_CONFIG);
  });
  it("reads SDXL's and SD2.1-v's keys", () => {
    const xl = parseSchedulerConfig({ ...sd15, _class_name: "EulerDiscreteScheduler", timestep_spacing: "leading", interpolation_type: "linear", use_karras_sigmas: false });
    expect(xl.timestepSpacing).toBe("leading");
    expect(parseSchedulerConfig({ ...sd15, prediction_type: "v_prediction" }).predictionType).toBe("v_prediction");
  });
  it("fills diffusers' defaults for absent keys", () => {
    expect(parseSchedulerConfig({})).toEqual({
      numTrainTimesteps: 1000,
      betaStart: 0.0001,
      betaEnd: 0.02,
      betaSchedule: "linear",
      predictionType: "epsilon",
      stepsOffset: 0,
    });
  });
  it("throws clear errors on bad values", () => {
    expect(() => parseSchedulerConfig(null)).toThrow(/JSON object/);
    expect(() => parseSchedulerConfig([1])).toThrow(/JSON object/);
    expect(() => parseSchedulerConfig("{")).toThrow(/not valid JSON/);
    expect(() => parseSchedulerConfig({ ...sd15, beta_schedule: "squaredcos_cap_v2" })).toThrow(/beta_schedule.*squaredcos_cap_v2/);
    expect(() => parseSchedulerConfig({ ...sd15, prediction_type: "sample" })).toThrow(/prediction_type/);
    expect(() => parseSchedulerConfig({ ...sd15, timestep_spacing: "even" })).toThrow(/timestep_spacing/);
    expect(() => parseSchedulerConfig({ ...sd15, beta_start: "0.1" })).toThrow(/beta_start/);
    expect(() => parseSchedulerConfig({ ...sd15, beta_end: 0.0001 })).toThrow(/beta_end/);
    expect(() => parseSchedulerConfig({ ...sd15, num_train_timesteps: 10.5 })).toThrow(/num_train_timesteps/);
    expect(() => parseSchedulerConfig({ ...sd15, steps_offset: -1 })).toThrow(/steps_offset/);
    expect(() => parseSchedulerConfig({ ...sd15, set_alpha_to_one: "no" })).toThrow(/set_alpha_to_one/);
    expect(() => parseSchedulerConfig({ ...sd15, trained_betas: [0.1, 0.2] })).toThrow(/trained_betas/);
    expect(() => parseSchedulerConfig({ ...sd15, rescale_betas_zero_snr: true })).toThrow(/rescale_betas_zero_snr/);
  });
});
