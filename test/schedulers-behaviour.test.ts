/**
 * Behaviour of the schedulers on problems whose answer is known:
 * - a Gaussian toy: x0 ~ N(m, s²) per element, for which the exact denoiser is a closed form, so
 *   sampling from noise must end on the data distribution, and the ODE schedulers must follow the
 *   exact probability-flow map;
 * - an oracle that returns the true noise (or v) of `addNoise(x0, ε, i)`: every deterministic step
 *   must then land exactly on `addNoise(x0, ε, i + 1)`, which is what the guides rely on.
 */
import { describe, expect, it } from "vitest";
import {
  SCHEDULER_NAMES,
  SD_SCHEDULER_CONFIG,
  createScheduler,
  type PredictionType,
  type SchedulerConfig,
  type SchedulerName,
  type SchedulerWithSigmas,
  type TimestepSpacing,
} from "../src/runtime/schedulers/scheduler.js";
import { DdimScheduler } from "../src/runtime/schedulers/ddim.js";

function normals(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

function stats(x: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const v of x) s += v;
  const mean = s / x.length;
  let q = 0;
  for (const v of x) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / x.length) };
}

/** Schedulers whose latents are on the VP scale (x = sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε). */
const isVp = (name: SchedulerName) => name === "ddim" || name === "dpmpp_2m";

/**
 * The exact model for x0 ~ N(m, s²): given the UNet input x_vp = sqrt(ᾱ)x0 + sqrt(1−ᾱ)ε at
 * ᾱ = 1/(1+σ²), E[x0 | x_vp] = m + s²·sqrt(ᾱ)/(ᾱs² + 1 − ᾱ)·(x_vp − sqrt(ᾱ)m); ε̂ and v̂ follow.
 */
function gaussianModel(input: Float32Array, sigma: number, m: number, s: number, prediction: PredictionType, out: Float32Array): void {
  const ab = 1 / (1 + sigma * sigma);
  const ra = Math.sqrt(ab);
  const r1 = Math.sqrt(1 - ab);
  const gain = (s * s * ra) / (ab * s * s + 1 - ab);
  for (let j = 0; j < input.length; j++) {
    const x = input[j]!;
    const x0 = m + gain * (x - ra * m);
    const eps = (x - ra * x0) / r1;
    out[j] = prediction === "epsilon" ? eps : ra * eps - r1 * x0;
  }
}

function sample(sch: SchedulerWithSigmas, prediction: PredictionType, m: number, s: number, n: number, seed: number) {
  const noise = normals(n, seed);
  const x = new Float32Array(n);
  for (let j = 0; j < n; j++) x[j] = noise[j]! * sch.initNoiseSigma;
  const start = Float32Array.from(x);
  const input = new Float32Array(n);
  const out = new Float32Array(n);
  for (let i = 0; i < sch.steps; i++) {
    const scale = sch.inputScale(i);
    for (let j = 0; j < n; j++) input[j] = x[j]! * scale;
    gaussianModel(input, sch.sigmas[i]!, m, s, prediction, out);
    sch.step(out, i, x, sch.needsNoise ? normals(n, seed * 7919 + i + 1) : undefined);
  }
  return { start, x };
}

/** The exact probability-flow map from the start level to the end level, element by element. */
function exactFlow(sch: SchedulerWithSigmas, start: Float32Array, m: number, s: number): Float32Array {
  const s0 = sch.sigmas[0]!;
  const s1 = sch.sigmas[sch.steps]!;
  const vp = isVp(sch.name);
  const k = Math.sqrt((s * s + s1 * s1) / (s * s + s0 * s0));
  const out = new Float32Array(start.length);
  for (let j = 0; j < start.length; j++) {
    const ve = vp ? start[j]! * Math.sqrt(1 + s0 * s0) : start[j]!;
    const end = m + k * (ve - m);
    out[j] = vp ? end / Math.sqrt(1 + s1 * s1) : end;
  }
  return out;
}

const SD = SD_SCHEDULER_CONFIG;
const PREDICTIONS: PredictionType[] = ["epsilon", "v_prediction"];
const M = 0.5;
const S = 0.6;
const N = 8192;

/**
 * Max |error| against the exact flow after 50 steps (a little over twice what was measured). Euler
 * and DDIM are first order. DPM++ 2M's error is dominated by its last step, first order from the
 * smallest σ of the schedule to 0 (σ(20) ≈ 0.1 without Karras sigmas, σ(0) ≈ 0.03 with them), as in
 * diffusers.
 */
const FLOW_TOLERANCE: Record<string, number> = {
  lms: 1e-3,
  "lms karras": 2e-3,
  euler: 0.2,
  "euler karras": 0.15,
  ddim: 0.2,
  "ddim karras": 0.15,
  dpmpp_2m: 0.1,
  "dpmpp_2m karras": 0.005,
};

/** Max error against the exact flow from a few fixed starting values, after `steps` steps. */
function flowError(name: SchedulerName, steps: number, karras: boolean, config: SchedulerConfig = SD): number {
  const sch = createScheduler(name, steps, { karras, config });
  const start = Float32Array.from([-2.5, -1, 0, 1, 2.5], (z) => z * sch.initNoiseSigma);
  const x = Float32Array.from(start);
  const input = new Float32Array(x.length);
  const out = new Float32Array(x.length);
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < x.length; j++) input[j] = x[j]! * sch.inputScale(i);
    gaussianModel(input, sch.sigmas[i]!, M, S, "epsilon", out);
    sch.step(out, i, x);
  }
  const exact = exactFlow(sch, start, M, S);
  let e = 0;
  for (let j = 0; j < x.length; j++) e = Math.max(e, Math.abs(x[j]! - exact[j]!));
  return e;
}

describe("Gaussian toy: 50 steps from noise end on the data distribution", () => {
  for (const name of SCHEDULER_NAMES) {
    for (const prediction of PREDICTIONS) {
      for (const karras of [false, true]) {
        it(`${name} ${prediction}${karras ? " karras" : ""}`, () => {
          const config: SchedulerConfig = { ...SD, predictionType: prediction };
          const sch = createScheduler(name, 50, { karras, config });
          const { start, x } = sample(sch, prediction, M, S, N, 1234);
          const { mean, std } = stats(x);
          // Starting from N(0, σ0²) instead of N(m, σ0² + s²) shifts the mean by m·s/sqrt(s²+σ0²) ≈ 0.02.
          expect(Math.abs(mean - M)).toBeLessThan(0.05);
          // Euler ancestral is a first-order SDE solver and ends a little narrow at 50 steps:
          // std 0.552 here, 0.549 from a numpy replica of diffusers' step (0.57 at 100 steps).
          expect(Math.abs(std - S) / S).toBeLessThan(name === "euler_ancestral" ? 0.12 : 0.05);
          if (!sch.needsNoise) {
            const exact = exactFlow(sch, start, M, S);
            let err = 0;
            for (let j = 0; j < N; j++) err = Math.max(err, Math.abs(x[j]! - exact[j]!));
            expect(err).toBeLessThan(FLOW_TOLERANCE[`${name}${karras ? " karras" : ""}`]!);
          }
        });
      }
    }
  }

  it("each scheduler converges at its order (Karras sigmas: even steps in log σ)", () => {
    // Halving the step size divides the error by about 2^order.
    const gain = (name: SchedulerName) => flowError(name, 20, true) / flowError(name, 40, true);
    for (const name of ["euler", "ddim"] as const) {
      expect(gain(name)).toBeGreaterThan(1.7);
      expect(gain(name)).toBeLessThan(2.5);
    }
    expect(gain("dpmpp_2m")).toBeGreaterThan(3.2);
    expect(gain("lms")).toBeGreaterThan(6);
  });

  it("the config variants diffusers honours still follow the flow (50 steps, from their own start to their own end)", () => {
    const variants: [SchedulerName, Partial<SchedulerConfig>, number][] = [
      ["ddim", { timestepSpacing: "linspace" }, FLOW_TOLERANCE.ddim!],
      ["ddim", { timestepSpacing: "trailing" }, FLOW_TOLERANCE.ddim!],
      ["euler", { interpolationType: "log_linear" }, FLOW_TOLERANCE.euler!],
      ["euler", { finalSigmasType: "sigma_min" }, FLOW_TOLERANCE.euler!],
      ["dpmpp_2m", { solverType: "heun" }, FLOW_TOLERANCE.dpmpp_2m!],
      ["dpmpp_2m", { useLuLambdas: true }, FLOW_TOLERANCE.dpmpp_2m!],
      ["dpmpp_2m", { finalSigmasType: "sigma_min", lowerOrderFinal: false }, FLOW_TOLERANCE.dpmpp_2m!],
    ];
    for (const [name, variant, tolerance] of variants) {
      expect(flowError(name, 50, false, { ...SD, ...variant }), `${name} ${JSON.stringify(variant)}`).toBeLessThan(tolerance);
    }
  });
});

describe("steps land where addNoise says (oracle model)", () => {
  const spacings: (TimestepSpacing | undefined)[] = [undefined, "linspace", "leading", "trailing"];
  const deterministic = SCHEDULER_NAMES.filter((n) => n !== "euler_ancestral");
  for (const name of deterministic) {
    for (const prediction of PREDICTIONS) {
      for (const karras of [false, true]) {
        for (const spacing of spacings) {
          it(`${name} ${prediction}${karras ? " karras" : ""} ${spacing ?? "default"}`, () => {
            const config: SchedulerConfig = { ...SD, predictionType: prediction };
            if (spacing) config.timestepSpacing = spacing;
            const steps = 12;
            const sch = createScheduler(name, steps, { karras, config });
            const n = 512;
            const x0 = normals(n, 5);
            const eps = normals(n, 6);
            const x = new Float32Array(n);
            sch.addNoise(x0, eps, 0, x);
            const expected = new Float32Array(n);
            const out = new Float32Array(n);
            // DDIM steps to ᾱ[t − N//steps], which for linspace and trailing is near, not on, the
            // next timestep; the next step takes its input as at its own timestep (as diffusers).
            const ddim = sch instanceof DdimScheduler && !karras ? sch : undefined;
            for (let i = 0; i < steps; i++) {
              if (ddim) sch.addNoise(x0, eps, i, x);
              const sigma = sch.sigmas[i]!;
              const ab = 1 / (1 + sigma * sigma);
              for (let j = 0; j < n; j++) out[j] = prediction === "epsilon" ? eps[j]! : Math.sqrt(ab) * eps[j]! - Math.sqrt(1 - ab) * x0[j]!;
              sch.step(out, i, x);
              const landing = ddim ? Math.sqrt((1 - ddim.alphasCumprodPrev[i]!) / ddim.alphasCumprodPrev[i]!) : sch.sigmas[i + 1]!;
              if (i + 1 === steps) expect(landing).toBeCloseTo(sch.sigmas[steps]!, 6);
              if (!ddim && (i + 1 < steps || landing === 0)) {
                sch.addNoise(x0, eps, i + 1, expected);
              } else {
                // Where DDIM lands; addNoise(steps) means clean, and DDIM's last step need not be (ᾱ_0 ≈ 0.029).
                const a = 1 / Math.sqrt(1 + landing ** 2);
                for (let j = 0; j < n; j++) expected[j] = a * x0[j]! + a * landing * eps[j]!;
              }
              const tol = 2e-4 * Math.max(1, sch.sigmas[i]!);
              for (let j = 0; j < n; j++) {
                if (Math.abs(x[j]! - expected[j]!) > tol) throw new Error(`step ${i}, element ${j}: ${x[j]} vs ${expected[j]}`);
              }
            }
          });
        }
      }
    }
  }
});

describe("addNoise", () => {
  for (const name of SCHEDULER_NAMES) {
    for (const karras of [false, true]) {
      it(`${name}${karras ? " karras" : ""}: level steps returns the original, level 0 has the initial noise scale`, () => {
        const sch = createScheduler(name, 30, { karras, config: SD });
        const n = 4096;
        const x0 = normals(n, 11);
        const eps = normals(n, 12);
        const out = new Float32Array(n);
        sch.addNoise(x0, eps, 30, out);
        expect(out).toEqual(x0);
        // In place works too.
        const copy = Float32Array.from(x0);
        sch.addNoise(copy, eps, 30, copy);
        expect(copy).toEqual(x0);

        sch.addNoise(new Float32Array(n), eps, 0, out);
        // Noise only: the spread the initial latents have (VP schedulers: sqrt(1 − ᾱ_max) ≈ 0.9977 vs 1).
        for (let j = 0; j < n; j += 97) expect(out[j]! / eps[j]!).toBeCloseTo(isVp(name) ? Math.sqrt(1 - 1 / (1 + sch.sigmas[0]! ** 2)) : sch.sigmas[0]!, 5);
        const ratio = stats(out).std / stats(eps).std;
        expect(Math.abs(ratio - sch.initNoiseSigma) / sch.initNoiseSigma).toBeLessThan(0.005);
      });
    }
  }
  it("leading spacing: initial noise is sqrt(σ0² + 1), level 0 is σ0 (diffusers' rule)", () => {
    const sch = createScheduler("euler", 30, { karras: false, config: { ...SD, timestepSpacing: "leading" } });
    expect(sch.initNoiseSigma).toBeCloseTo(Math.sqrt(sch.sigmas[0]! ** 2 + 1), 5);
    const out = new Float32Array(1);
    sch.addNoise(new Float32Array(1), Float32Array.of(1), 0, out);
    expect(out[0]).toBeCloseTo(sch.sigmas[0]!, 5);
  });
});

describe("multistep history", () => {
  it("restarting at step 0 reproduces the first run exactly", () => {
    for (const name of ["lms", "dpmpp_2m"] as const) {
      const sch = createScheduler(name, 20, { karras: false, config: SD });
      const a = sample(sch, "epsilon", M, S, 256, 3).x;
      const b = sample(sch, "epsilon", M, S, 256, 3).x;
      expect(b).toEqual(a);
    }
  });
  it("starting part-way (img2img) equals a fresh scheduler started there", () => {
    for (const name of ["lms", "dpmpp_2m"] as const) {
      const run = (sch: SchedulerWithSigmas) => {
        const x0 = normals(256, 8);
        const x = new Float32Array(256);
        sch.addNoise(x0, normals(256, 9), 8, x);
        const out = new Float32Array(256);
        for (let i = 8; i < 20; i++) {
          gaussianModel(Float32Array.from(x, (v) => v * sch.inputScale(i)), sch.sigmas[i]!, M, S, "epsilon", out);
          sch.step(out, i, x);
        }
        return x;
      };
      const used = createScheduler(name, 20, { karras: false, config: SD });
      sample(used, "epsilon", M, S, 256, 3);
      expect(run(used)).toEqual(run(createScheduler(name, 20, { karras: false, config: SD })));
    }
  });
});
