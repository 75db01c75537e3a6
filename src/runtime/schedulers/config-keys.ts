/**
 * The one table of the `scheduler_config.json` keys scenec knows: what each of its schedulers does
 * with each, following diffusers' `TargetScheduler.from_config(config)` (a key the target class
 * accepts is taken, any other is ignored):
 * - honoured: implemented as that class does;
 * - ignored:  the class has no such parameter, so diffusers ignores it too;
 * - scene:    it would pick another algorithm or σ schedule than the scene's (`use_karras_sigmas`,
 *             `algorithm_type`, `solver_order`): the scene's scheduler name and `karras` flag decide;
 * - refused:  the class honours it and scenec does not implement it: a value other than the
 *             default stops the render with a message (never a silent difference).
 * Keys that are in none of the five classes (`_class_name`, PNDM's `skip_prk_steps`, ...) are
 * ignored. `trained_betas` (non-null) and `rescale_betas_zero_snr: true` change the noise schedule
 * itself; the schema refuses them for every scheduler (including LMS, whose class would silently
 * ignore the rescaling the model was trained with).
 */
import type { SchedulerName } from "../../compiler/plan/plan.js";
import type { SchedulerConfig } from "./config.js";

export type KeyRole = "honoured" | "ignored" | "scene" | "refused";

/** The optional fields of {@link SchedulerConfig} that a key is read into. */
export type ConfigField = Exclude<keyof SchedulerConfig, "unsupported">;

export interface KeyRule {
  /** Where the parser stores the value; absent for keys scenec does not read (scene, refused). */
  readonly field?: ConfigField;
  readonly roles: Readonly<Record<SchedulerName, KeyRole>>;
}

const H = "honoured";
const I = "ignored";
const S = "scene";
const R = "refused";

/** Roles in the order lms, euler, euler_ancestral, ddim, dpmpp_2m. */
function rule(field: ConfigField | undefined, [lms, euler, ancestral, ddim, dpm]: readonly [KeyRole, KeyRole, KeyRole, KeyRole, KeyRole]): KeyRule {
  const roles = { lms, euler, euler_ancestral: ancestral, ddim, dpmpp_2m: dpm };
  return field === undefined ? { roles } : { field, roles };
}

/**
 * Every parameter of diffusers' LMSDiscreteScheduler, EulerDiscreteScheduler,
 * EulerAncestralDiscreteScheduler, DDIMScheduler and DPMSolverMultistepScheduler (diffusers 0.40).
 *                                                        lms euler  ea  ddim  dpm
 */
export const CONFIG_KEYS: Readonly<Record<string, KeyRule>> = {
  num_train_timesteps: rule("numTrainTimesteps", [H, H, H, H, H]),
  beta_start: rule("betaStart", [H, H, H, H, H]),
  beta_end: rule("betaEnd", [H, H, H, H, H]),
  beta_schedule: rule("betaSchedule", [H, H, H, H, H]),
  prediction_type: rule("predictionType", [H, H, H, H, H]),
  timestep_spacing: rule("timestepSpacing", [H, H, H, H, H]),
  steps_offset: rule("stepsOffset", [H, H, H, H, H]),
  set_alpha_to_one: rule("setAlphaToOne", [I, I, I, H, I]),
  clip_sample: rule("clipSample", [I, I, I, H, I]),
  clip_sample_range: rule("clipSampleRange", [I, I, I, H, I]),
  thresholding: rule("thresholding", [I, I, I, H, H]),
  dynamic_thresholding_ratio: rule("dynamicThresholdingRatio", [I, I, I, H, H]),
  sample_max_value: rule("sampleMaxValue", [I, I, I, H, H]),
  interpolation_type: rule("interpolationType", [I, H, I, I, I]),
  sigma_min: rule("sigmaMin", [I, H, I, I, I]),
  sigma_max: rule("sigmaMax", [I, H, I, I, I]),
  timestep_type: rule("timestepType", [I, H, I, I, I]),
  final_sigmas_type: rule("finalSigmasType", [I, H, I, I, H]),
  lower_order_final: rule("lowerOrderFinal", [I, I, I, I, H]),
  euler_at_final: rule("eulerAtFinal", [I, I, I, I, H]),
  solver_type: rule("solverType", [I, I, I, I, H]),
  lambda_min_clipped: rule("lambdaMinClipped", [I, I, I, I, H]),
  use_lu_lambdas: rule("useLuLambdas", [I, I, I, I, H]),
  use_karras_sigmas: rule(undefined, [S, S, I, I, S]),
  algorithm_type: rule(undefined, [I, I, I, I, S]),
  solver_order: rule(undefined, [I, I, I, I, S]),
  use_exponential_sigmas: rule(undefined, [R, R, I, I, R]),
  use_beta_sigmas: rule(undefined, [R, R, I, I, R]),
  use_flow_sigmas: rule(undefined, [I, I, I, I, R]),
  use_dynamic_shifting: rule(undefined, [I, I, I, I, R]),
  variance_type: rule(undefined, [I, I, I, I, R]),
  // Only read with use_flow_sigmas / use_dynamic_shifting, which are refused.
  flow_shift: rule(undefined, [I, I, I, I, I]),
  time_shift_type: rule(undefined, [I, I, I, I, I]),
  trained_betas: rule(undefined, [R, R, R, R, R]),
  rescale_betas_zero_snr: rule(undefined, [R, R, R, R, R]),
};

/** The class defaults of the refused keys the schema lets through: any other value is recorded as unsupported. */
export const UNSUPPORTED_DEFAULTS: Readonly<Record<string, unknown>> = {
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  use_flow_sigmas: false,
  use_dynamic_shifting: false,
  variance_type: null,
};

/** The schedulers for which a key has a role. */
export function schedulersWith(key: string, role: KeyRole): SchedulerName[] {
  const roles = CONFIG_KEYS[key]?.roles;
  return roles === undefined ? [] : (Object.keys(roles) as SchedulerName[]).filter((name) => roles[name] === role);
}

/** The message refusing the first unsupported key that `name` would honour, or undefined. */
export function refusal(name: SchedulerName, unsupported: Readonly<Record<string, unknown>>): string | undefined {
  for (const [key, value] of Object.entries(unsupported)) {
    if (CONFIG_KEYS[key]?.roles[name] !== R) continue;
    const others = schedulersWith(key, I);
    const instead = others.length > 0 ? ` or pick a scheduler that ignores it (${others.join(", ")})` : "";
    return `"${key}" is ${JSON.stringify(value)}, which scenec's ${name} does not implement (diffusers' default is ${JSON.stringify(UNSUPPORTED_DEFAULTS[key])}); edit scheduler/scheduler_config.json (remove the key or set the default)${instead}`;
  }
  return undefined;
}
