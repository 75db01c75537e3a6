import type { SchedulerName } from "../../compiler/plan/plan.js";
import { modelConfigProblems } from "../model/config-schema.js";
import { parsePythonJson } from "../model/python-json.js";
import { CONFIG_KEYS, refusal, UNSUPPORTED_DEFAULTS, type ConfigField } from "./config-keys.js";

/**
 * Scheduler configuration: the keys of diffusers' `scheduler/scheduler_config.json` that the
 * schedulers read, in camelCase, plus its parser. Which scheduler honours, ignores or refuses each
 * key is the table in config-keys.ts.
 */

export type BetaSchedule = "scaled_linear" | "linear";
export type PredictionType = "epsilon" | "v_prediction";
export type TimestepSpacing = "linspace" | "leading" | "trailing";
export type InterpolationType = "linear" | "log_linear";
export type FinalSigmasType = "zero" | "sigma_min";
export type TimestepType = "discrete" | "continuous";
/** DPM-Solver's second-order formula; diffusers maps "logrho", "bh1" and "bh2" (UniPC's names) to midpoint. */
export type SolverType = "midpoint" | "heun";

/**
 * A key left out here takes the target class's `__init__` default (see {@link SCHEDULER_DEFAULTS}
 * and each scheduler's spacing default), as `TargetScheduler.from_config` does.
 */
export interface SchedulerConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: BetaSchedule;
  predictionType: PredictionType;
  /** Absent: each scheduler's diffusers class default (linspace for LMS/Euler/EulerA/DPM, leading for DDIM). */
  timestepSpacing?: TimestepSpacing;
  stepsOffset: number;
  /** DDIM: the ᾱ after the last step, 1 (true) or ᾱ_0. */
  setAlphaToOne?: boolean;
  /** DDIM: clamp the x0 prediction to ±clipSampleRange. */
  clipSample?: boolean;
  clipSampleRange?: number;
  /** DDIM, DPM++: dynamic thresholding of the x0 prediction (Imagen); takes precedence over clipSample. */
  thresholding?: boolean;
  dynamicThresholdingRatio?: number;
  sampleMaxValue?: number;
  /** Euler: σ at the timesteps by linear interpolation of the table, or log-linear from σmax to σmin. */
  interpolationType?: InterpolationType;
  /** Euler: the ends of the Karras ramp instead of the schedule's. */
  sigmaMin?: number;
  sigmaMax?: number;
  /** Euler: "continuous" with v_prediction feeds the UNet 0.25·log σ. */
  timestepType?: TimestepType;
  /** Euler, DPM++: where the last step lands, 0 or σ of ᾱ_0. */
  finalSigmasType?: FinalSigmasType;
  /** DPM++: first-order last step (below 15 steps). */
  lowerOrderFinal?: boolean;
  /** DPM++: first-order last step whatever the number of steps. */
  eulerAtFinal?: boolean;
  solverType?: SolverType;
  /** DPM++: timesteps whose λ = log(α/σ) is below this are cut from the top of the schedule. */
  lambdaMinClipped?: number;
  /** DPM++ without Karras sigmas: steps even in log σ over the training range. */
  useLuLambdas?: boolean;
  /**
   * Keys scenec does not implement, as the file set them, where that is not the class default
   * (`use_exponential_sigmas: true`, ...): a scheduler that would honour one refuses the config.
   */
  unsupported?: Readonly<Record<string, unknown>>;
}

/** diffusers' `__init__` defaults of the optional keys (the same in every class that has the key). */
export const SCHEDULER_DEFAULTS = Object.freeze({
  setAlphaToOne: true,
  clipSample: true,
  clipSampleRange: 1,
  thresholding: false,
  dynamicThresholdingRatio: 0.995,
  sampleMaxValue: 1,
  interpolationType: "linear" as InterpolationType,
  timestepType: "discrete" as TimestepType,
  finalSigmasType: "zero" as FinalSigmasType,
  lowerOrderFinal: true,
  eulerAtFinal: false,
  solverType: "midpoint" as SolverType,
  lambdaMinClipped: -Infinity,
  useLuLambdas: false,
});

/**
 * Stable Diffusion 1.x/2.x-base values (SD1.5's `scheduler_config.json`: PNDM, scaled_linear
 * 0.00085→0.012, 1000 steps, epsilon, steps_offset 1, set_alpha_to_one false, clip_sample false,
 * no timestep_spacing key).
 */
export const SD_SCHEDULER_CONFIG: SchedulerConfig = Object.freeze({
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: "scaled_linear",
  predictionType: "epsilon",
  stepsOffset: 1,
  setAlphaToOne: false,
  clipSample: false,
});

/** diffusers' `__init__` defaults for the keys every scheduler needs, used where a file leaves them out. */
const DIFFUSERS_DEFAULTS: {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  prediction_type: PredictionType;
  steps_offset: number;
} = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
  prediction_type: "epsilon",
  steps_offset: 0,
};

const BETA_SCHEDULES: readonly BetaSchedule[] = ["scaled_linear", "linear"];
const PREDICTION_TYPES: readonly PredictionType[] = ["epsilon", "v_prediction"];
const SPACINGS: readonly TimestepSpacing[] = ["linspace", "leading", "trailing"];
const SOLVER_TYPES: Readonly<Record<string, SolverType>> = { midpoint: "midpoint", heun: "heun", logrho: "midpoint", bh1: "midpoint", bh2: "midpoint" };

function fail(message: string): never {
  throw new Error(`scheduler_config.json: ${message}`);
}

/** Checks a config's values (also used for configs built in code). Throws Error on a bad value. */
export function validateSchedulerConfig(c: SchedulerConfig): void {
  const bad = (m: string): never => {
    throw new Error(`scheduler config: ${m}`);
  };
  if (!Number.isInteger(c.numTrainTimesteps) || c.numTrainTimesteps < 2) bad(`numTrainTimesteps must be an integer ≥ 2, got ${c.numTrainTimesteps}`);
  if (!(Number.isFinite(c.betaStart) && c.betaStart > 0 && c.betaStart < 1)) bad(`betaStart must be in (0, 1), got ${c.betaStart}`);
  if (!(Number.isFinite(c.betaEnd) && c.betaEnd > 0 && c.betaEnd < 1)) bad(`betaEnd must be in (0, 1), got ${c.betaEnd}`);
  if (c.betaEnd < c.betaStart) bad(`betaEnd (${c.betaEnd}) must not be below betaStart (${c.betaStart})`);
  if (!BETA_SCHEDULES.includes(c.betaSchedule)) bad(`unsupported betaSchedule ${JSON.stringify(c.betaSchedule)}`);
  if (!PREDICTION_TYPES.includes(c.predictionType)) bad(`unsupported predictionType ${JSON.stringify(c.predictionType)}`);
  if (c.timestepSpacing !== undefined && !SPACINGS.includes(c.timestepSpacing)) bad(`unsupported timestepSpacing ${JSON.stringify(c.timestepSpacing)}`);
  if (!Number.isInteger(c.stepsOffset) || c.stepsOffset < 0) bad(`stepsOffset must be a non-negative integer, got ${c.stepsOffset}`);
  for (const key of ["setAlphaToOne", "clipSample", "thresholding", "lowerOrderFinal", "eulerAtFinal", "useLuLambdas"] as const) {
    if (c[key] !== undefined && typeof c[key] !== "boolean") bad(`${key} must be a boolean`);
  }
  for (const key of ["clipSampleRange", "sampleMaxValue", "sigmaMin", "sigmaMax"] as const) {
    const v = c[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) bad(`${key} must be a positive number, got ${v}`);
  }
  const choices: [keyof SchedulerConfig, readonly string[]][] = [
    ["interpolationType", ["linear", "log_linear"]],
    ["timestepType", ["discrete", "continuous"]],
    ["finalSigmasType", ["zero", "sigma_min"]],
    ["solverType", ["midpoint", "heun"]],
  ];
  for (const [key, allowed] of choices) {
    if (c[key] !== undefined && !allowed.includes(c[key] as string)) bad(`unsupported ${key} ${JSON.stringify(c[key])}`);
  }
  const ratio = c.dynamicThresholdingRatio;
  if (ratio !== undefined && !(ratio >= 0 && ratio <= 1)) bad(`dynamicThresholdingRatio must be in [0, 1], got ${ratio}`);
  if (c.lambdaMinClipped !== undefined && Number.isNaN(c.lambdaMinClipped)) bad(`lambdaMinClipped must be a number`);
}

/**
 * Reads a diffusers `scheduler_config.json` (the parsed object, or its text), checked against
 * schema/model-config.schema.json (`$defs/scheduler`): each key scenec uses has its type and range,
 * and an error names the key, its value and what is allowed. Keys it leaves out (or sets to null)
 * take diffusers' class defaults: the optional fields stay absent so that each scheduler applies
 * its own class's default. Every key listed in config-keys.ts is read; others (`_class_name`,
 * `skip_prk_steps`, ...) belong to no scheduler scenec has and are ignored, as from_config ignores
 * them. Keys scenec does not implement are kept in `unsupported` where they differ from the default,
 * for the scheduler that would honour them to refuse (see {@link refusal}).
 */
export function parseSchedulerConfig(json: unknown): SchedulerConfig {
  if (typeof json === "string") {
    try {
      json = parsePythonJson(json);
    } catch (e) {
      fail(`not valid JSON (${(e as Error).message})`);
    }
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) fail("expected a JSON object");
  const o = json as Record<string, unknown>;
  const problems = modelConfigProblems("scheduler", o);
  if (problems.length > 0) fail(problems.join("; "));

  // Valid: each key is absent, null, or of its type and in its range.
  const value = <K extends keyof typeof DIFFUSERS_DEFAULTS>(key: K) => (o[key] ?? DIFFUSERS_DEFAULTS[key]) as (typeof DIFFUSERS_DEFAULTS)[K];
  const betaStart = value("beta_start");
  const betaEnd = value("beta_end");
  if (betaEnd < betaStart) fail(`"beta_end" (${betaEnd}) must not be below "beta_start" (${betaStart})`);
  const config: SchedulerConfig = {
    numTrainTimesteps: value("num_train_timesteps"),
    betaStart,
    betaEnd,
    betaSchedule: value("beta_schedule"),
    predictionType: value("prediction_type"),
    stepsOffset: value("steps_offset"),
  };
  const optional = config as unknown as Record<ConfigField, unknown>;
  const unsupported: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(CONFIG_KEYS)) {
    const v = o[key] ?? undefined;
    if (v === undefined) continue;
    if (rule.field !== undefined) {
      if (!(rule.field in config)) optional[rule.field] = key === "solver_type" ? SOLVER_TYPES[v as string] : v;
    }
    else if (key in UNSUPPORTED_DEFAULTS && v !== UNSUPPORTED_DEFAULTS[key]) unsupported[key] = v;
  }
  if (Object.keys(unsupported).length > 0) config.unsupported = unsupported;
  return config;
}

/** Throws where `config` sets a key that `name` would honour and scenec lacks (see config-keys.ts). */
export function checkConfigFor(name: SchedulerName, config: SchedulerConfig): void {
  const message = refusal(name, config.unsupported ?? {});
  if (message !== undefined) fail(message);
}
