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
const DIFFUSERS_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
  prediction_type: "epsilon",
  steps_offset: 0,
} as const;

const BETA_SCHEDULES: readonly BetaSchedule[] = ["scaled_linear", "linear"];
const PREDICTION_TYPES: readonly PredictionType[] = ["epsilon", "v_prediction"];
const SPACINGS: readonly TimestepSpacing[] = ["linspace", "leading", "trailing"];

function fail(message: string): never {
  throw new Error(`scheduler_config.json: ${message}`);
}

function present(o: Record<string, unknown>, key: string): unknown {
  const v = o[key];
  return v === null ? undefined : v;
}

function numberField(o: Record<string, unknown>, key: string, fallback: number): number {
  const v = present(o, key);
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) fail(`"${key}" must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

function enumField<T extends string>(o: Record<string, unknown>, key: string, allowed: readonly T[], fallback: T): T;
function enumField<T extends string>(o: Record<string, unknown>, key: string, allowed: readonly T[], fallback: undefined): T | undefined;
function enumField<T extends string>(o: Record<string, unknown>, key: string, allowed: readonly T[], fallback: T | undefined): T | undefined {
  const v = present(o, key);
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    fail(`unsupported "${key}" ${JSON.stringify(v)} (supported: ${allowed.join(", ")})`);
  }
  return v as T;
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
 * Reads a diffusers `scheduler_config.json` (the parsed object, or its text). Keys it leaves out
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

  const trained = present(o, "trained_betas");
  if (trained !== undefined) fail(`"trained_betas" is not supported (only beta_schedule "linear" or "scaled_linear")`);
  if (present(o, "rescale_betas_zero_snr") === true) fail(`"rescale_betas_zero_snr": true is not supported`);

  const numTrainTimesteps = numberField(o, "num_train_timesteps", DIFFUSERS_DEFAULTS.num_train_timesteps);
  if (!Number.isInteger(numTrainTimesteps) || numTrainTimesteps < 2) fail(`"num_train_timesteps" must be an integer ≥ 2, got ${numTrainTimesteps}`);
  const betaStart = numberField(o, "beta_start", DIFFUSERS_DEFAULTS.beta_start);
  const betaEnd = numberField(o, "beta_end", DIFFUSERS_DEFAULTS.beta_end);
  if (!(betaStart > 0 && betaStart < 1)) fail(`"beta_start" must be in (0, 1), got ${betaStart}`);
  if (!(betaEnd > 0 && betaEnd < 1)) fail(`"beta_end" must be in (0, 1), got ${betaEnd}`);
  if (betaEnd < betaStart) fail(`"beta_end" (${betaEnd}) must not be below "beta_start" (${betaStart})`);
  const betaSchedule = enumField(o, "beta_schedule", BETA_SCHEDULES, DIFFUSERS_DEFAULTS.beta_schedule);
  const predictionType = enumField(o, "prediction_type", PREDICTION_TYPES, DIFFUSERS_DEFAULTS.prediction_type);
  const timestepSpacing = enumField(o, "timestep_spacing", SPACINGS, undefined);
  const stepsOffset = numberField(o, "steps_offset", DIFFUSERS_DEFAULTS.steps_offset);
  if (!Number.isInteger(stepsOffset) || stepsOffset < 0) fail(`"steps_offset" must be a non-negative integer, got ${stepsOffset}`);
  const alphaOne = present(o, "set_alpha_to_one");
  if (alphaOne !== undefined && typeof alphaOne !== "boolean") fail(`"set_alpha_to_one" must be true or false, got ${JSON.stringify(alphaOne)}`);

  const config: SchedulerConfig = { numTrainTimesteps, betaStart, betaEnd, betaSchedule, predictionType, stepsOffset };
  if (timestepSpacing !== undefined) config.timestepSpacing = timestepSpacing;
  if (alphaOne !== undefined) config.setAlphaToOne = alphaOne;
  return config;
}
