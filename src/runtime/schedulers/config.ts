import { modelConfigProblems } from "../model/config-schema.js";

/**
 * Scheduler configuration: the subset of diffusers' `scheduler/scheduler_config.json` the
 * schedulers read, in camelCase, plus its parser.
 */

export type BetaSchedule = "scaled_linear" | "linear";
export type PredictionType = "epsilon" | "v_prediction";
export type TimestepSpacing = "linspace" | "leading" | "trailing";

export interface SchedulerConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: BetaSchedule;
  predictionType: PredictionType;
  /** Absent: each scheduler's diffusers class default (linspace for LMS/Euler/EulerA/DPM, leading for DDIM). */
  timestepSpacing?: TimestepSpacing;
  stepsOffset: number;
  /** DDIM only. Absent: diffusers' DDIMScheduler default, true. */
  setAlphaToOne?: boolean;
}

/**
 * Stable Diffusion 1.x/2.x-base values (SD1.5's `scheduler_config.json`: PNDM, scaled_linear
 * 0.00085→0.012, 1000 steps, epsilon, steps_offset 1, set_alpha_to_one false, no timestep_spacing key).
 */
export const SD_SCHEDULER_CONFIG: SchedulerConfig = Object.freeze({
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: "scaled_linear",
  predictionType: "epsilon",
  stepsOffset: 1,
  setAlphaToOne: false,
});

/** diffusers' `__init__` defaults, used for keys a config file leaves out (as `ConfigMixin` does). */
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
  if (c.setAlphaToOne !== undefined && typeof c.setAlphaToOne !== "boolean") bad(`setAlphaToOne must be a boolean`);
}

/**
 * Reads a diffusers `scheduler_config.json` (the parsed object, or its text), checked against
 * schema/model-config.schema.json (`$defs/scheduler`): each key scenec uses has its type and range,
 * and an error names the key, its value and what is allowed. Keys it leaves out (or sets to null)
 * take diffusers' class defaults; `timestep_spacing` and `set_alpha_to_one` stay absent so each
 * scheduler applies its own default. Keys that only select a scheduler class or its options
 * (`_class_name`, `skip_prk_steps`, `clip_sample`, `use_karras_sigmas`, ...) are ignored: the scene
 * picks the scheduler. Settings that would change the noise schedule itself and that this
 * implementation lacks (`trained_betas`, other beta schedules, `rescale_betas_zero_snr`,
 * `prediction_type: "sample"`) are rejected with a clear message rather than silently ignored.
 */
export function parseSchedulerConfig(json: unknown): SchedulerConfig {
  if (typeof json === "string") {
    try {
      json = JSON.parse(json) as unknown;
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
  const spacing = o["timestep_spacing"] ?? undefined;
  if (spacing !== undefined) config.timestepSpacing = spacing as TimestepSpacing;
  const alphaOne = o["set_alpha_to_one"] ?? undefined;
  if (alphaOne !== undefined) config.setAlphaToOne = alphaOne as boolean;
  return config;
}
