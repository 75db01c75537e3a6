import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../src/cli/config.js";
import { CliError } from "../src/cli/errors.js";
import { builtinModelFiles } from "../src/runtime/builtin/builtin-model.js";
import { SIGNATURES } from "../src/runtime/builtin/signature.js";
import { modelConfigProblems, type ModelConfigKind } from "../src/runtime/model/config-schema.js";
import { ModelError } from "../src/runtime/model/model-error.js";
import { resolveModel } from "../src/runtime/model/resolve-model.js";
import { parseSchedulerConfig } from "../src/runtime/schedulers/config.js";
import { parsePythonJson } from "../src/runtime/model/python-json.js";

describe("scenec.yaml and model resolution", () => {
  it("resolves names, the default and paths", () => {
    const config = parseConfig("/proj/scenec.yaml", "models:\n  sd15: models/sd15\n  turbo: /abs/turbo\ndefault: sd15\n");
    expect(config.models).toEqual({ sd15: "/proj/models/sd15", turbo: "/abs/turbo" });
    expect(resolveModel({ kind: "named", name: "turbo" }, "/scenes", config)).toEqual({ kind: "folder", path: "/abs/turbo" });
    expect(resolveModel({ kind: "default" }, "/scenes", config)).toEqual({ kind: "folder", path: "/proj/models/sd15" });
    expect(resolveModel({ kind: "builtin" }, "/scenes", config)).toEqual({ kind: "builtin" });
    expect(resolveModel({ kind: "path", path: "../m" }, "/scenes/a", config)).toEqual({ kind: "folder", path: "/scenes/m" });
    expect(resolveModel({ kind: "default" }, "/scenes", { models: {} })).toEqual({ kind: "builtin" });
  });

  it("a default that is not a name is a folder relative to the file", () => {
    expect(parseConfig("/proj/scenec.yaml", "default: ./m\n").default).toBe("/proj/m");
  });

  it("names the known models when a name is missing", () => {
    const config = parseConfig("/proj/scenec.yaml", "models:\n  sd15: m\n");
    expect(() => resolveModel({ kind: "named", name: "sdxl" }, "/p", config)).toThrow(ModelError);
    expect(() => resolveModel({ kind: "named", name: "sdxl" }, "/p", config)).toThrow(/`sdxl` is not in \/proj\/scenec.yaml \(it names `sd15`\)/);
    expect(() => resolveModel({ kind: "named", name: "sd15" }, "/p")).toThrow(/add a scenec.yaml/);
  });

  it("rejects malformed files with the file's name", () => {
    expect(() => parseConfig("/c/scenec.yaml", "models: [a, b]\n")).toThrow(CliError);
    expect(() => parseConfig("/c/scenec.yaml", "modles: {}\n")).toThrow(/unknown setting `modles`/);
    expect(() => parseConfig("/c/scenec.yaml", "models: {a: 3}\n")).toThrow(/model `a` must be a folder path/);
    expect(() => parseConfig("/c/scenec.yaml", "models: {\n")).toThrow(/not valid YAML/);
  });

  it("finds the nearest scenec.yaml above the scene", () => {
    const root = mkdtempSync(path.join(tmpdir(), "scenec-config-"));
    mkdirSync(path.join(root, "a", "b"), { recursive: true });
    writeFileSync(path.join(root, "scenec.yaml"), "models:\n  x: mx\n");
    expect(loadConfig(path.join(root, "a", "b")).models).toEqual({ x: path.join(root, "mx") });
    expect(loadConfig(path.join(root, "a", "b")).file).toBe(path.join(root, "scenec.yaml"));
  });
});

/**
 * The scheduler and VAE configs of a model folder against schema/model-config.schema.json: every
 * real export validates, and each out-of-range value gets a message naming the key, its value and
 * what is allowed.
 */
describe("model folder configs", () => {
  const FIXTURES = path.join(import.meta.dirname, "fixtures", "model-configs");
  const kindOf = (file: string): ModelConfigKind => (file.startsWith("scheduler/") ? "scheduler" : "vae");

  /** The scheduler_config.json that the published diffusers exports ship (SD 1.5, SD 2.1 768, SDXL base, SDXL-Turbo, SD-Turbo), as they read. */
  const SD15 = {
    _class_name: "PNDMScheduler",
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: "scaled_linear",
    num_train_timesteps: 1000,
    prediction_type: "epsilon",
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    clip_sample: false,
    trained_betas: null,
  };
  const QUOTED: Record<string, object> = {
    "SD 1.5": SD15,
    "SD 2.1 768": { ...SD15, _class_name: "DDIMScheduler", prediction_type: "v_prediction" },
    "SDXL base": { ...SD15, _class_name: "EulerDiscreteScheduler", timestep_spacing: "leading", interpolation_type: "linear", use_karras_sigmas: false },
    "SDXL-Turbo": { ...SD15, _class_name: "EulerAncestralDiscreteScheduler", timestep_spacing: "linspace" },
    "SD-Turbo": { ...SD15, _class_name: "EulerDiscreteScheduler", timestep_spacing: "trailing" },
  };

  it("every real export's configs validate: the conformance models, the quoted ones, the built-in model's", () => {
    const checked: string[] = [];
    const expectValid = (name: string, kind: ModelConfigKind, json: Record<string, unknown>) => {
      expect(modelConfigProblems(kind, json), name).toEqual([]);
      if (kind === "scheduler") expect(() => parseSchedulerConfig(json), name).not.toThrow();
      checked.push(name);
    };
    for (const file of readdirSync(FIXTURES, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".json"))) {
      const relative = file.split(path.sep).slice(1).join("/");
      expectValid(file, kindOf(relative), JSON.parse(readFileSync(path.join(FIXTURES, file), "utf8")) as Record<string, unknown>);
    }
    for (const [name, json] of Object.entries(QUOTED)) expectValid(name, "scheduler", json as Record<string, unknown>);
    for (const { name, signature } of SIGNATURES) {
      for (const [file, bytes] of builtinModelFiles(signature)) {
        if (file === "scheduler/scheduler_config.json" || /^vae_(de|en)coder\/config\.json$/.test(file)) {
          expectValid(`${name} ${file}`, kindOf(file), JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>);
        }
      }
    }
    expect(checked.filter((name) => name.includes("scheduler")).length).toBeGreaterThanOrEqual(5 + SIGNATURES.length);
    expect(checked.filter((name) => name.includes("vae_")).length).toBeGreaterThanOrEqual(4);
  });

  it("allows keys it does not know, and null for the keys it reads", () => {
    const later = { ...SD15, _diffusers_version: "9.0.0", a_future_key: { nested: [1, "x"] }, sigma_min: null, timestep_type: "discrete" };
    expect(modelConfigProblems("scheduler", later)).toEqual([]);
    const nulls = Object.fromEntries(Object.keys(SD15).map((key) => [key, null]));
    expect(parseSchedulerConfig(nulls)).toEqual(parseSchedulerConfig({}));
    expect(modelConfigProblems("vae", { scaling_factor: null, shift_factor: null, latents_mean: null, force_upcast: true, block_out_channels: [1] })).toEqual([]);
  });

  const BAD: [ModelConfigKind, string, unknown, string][] = [
    ["scheduler", "num_train_timesteps", 300000000, "is 300000000; it must be an integer from 2 to 10000 (Stable Diffusion models use 1000)"],
    ["scheduler", "num_train_timesteps", 1000000000000, "is 1000000000000; it must be an integer from 2 to 10000"],
    ["scheduler", "num_train_timesteps", 1, "is 1; it must be an integer from 2 to 10000"],
    ["scheduler", "num_train_timesteps", 999.5, "is 999.5; it must be an integer from 2 to 10000"],
    ["scheduler", "num_train_timesteps", "1000", 'is "1000"; it must be an integer from 2 to 10000'],
    ["scheduler", "beta_start", 0, "is 0; it must be a number from 0.000001 to 0.1 (Stable Diffusion uses 0.00085"],
    ["scheduler", "beta_end", 0.9, "is 0.9; it must be a number from 0.000001 to 0.1 (Stable Diffusion uses 0.012"],
    ["scheduler", "beta_schedule", "squaredcos_cap_v2", 'is "squaredcos_cap_v2"; it must be one of "linear", "scaled_linear"'],
    ["scheduler", "prediction_type", "sample", 'is "sample"; it must be one of "epsilon", "v_prediction"'],
    ["scheduler", "timestep_spacing", "even", 'is "even"; it must be one of "linspace", "leading", "trailing"'],
    ["scheduler", "steps_offset", 500, "is 500; it must be an integer from 0 to 10 (Stable Diffusion uses 1)"],
    ["scheduler", "set_alpha_to_one", "no", 'is "no"; it must be true or false'],
    ["scheduler", "trained_betas", [0.1, 0.2], "is [0.1,0.2]; it must be null or absent (scenec computes the betas from beta_schedule"],
    ["scheduler", "rescale_betas_zero_snr", true, "is true; it must be false or absent (zero-terminal-SNR schedules are not supported)"],
    ["vae", "scaling_factor", 1e308, "is 1e+308; it must be a number from 0.01 to 10 (the latent scale: 0.18215 for SD 1.x and 2.x, 0.13025 for SDXL)"],
    ["vae", "scaling_factor", -0.18215, "is -0.18215; it must be a number from 0.01 to 10"],
    ["vae", "shift_factor", 0.0609, "is 0.0609; it must be 0 or absent (scenec's decoder only scales the latents; a VAE with a shift (SD3, Flux) is not supported)"],
    ["vae", "latents_mean", [0.1, 0.2, 0.3, 0.4], "is [0.1,0.2,0.3,0.4]; it must be null or absent"],
  ];

  for (const [kind, key, value, says] of BAD) {
    it(`${kind} ${key}: ${JSON.stringify(value)} is refused, naming the key and what is allowed`, () => {
      const base = kind === "scheduler" ? SD15 : { scaling_factor: 0.18215 };
      const problems = modelConfigProblems(kind, { ...base, [key]: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(`"${key}" ${says}`);
      if (kind === "scheduler") expect(() => parseSchedulerConfig({ ...base, [key]: value })).toThrow(`scheduler_config.json: "${key}" ${says}`);
    });
  }

  it("names every bad key, each once", () => {
    expect(modelConfigProblems("scheduler", { ...SD15, num_train_timesteps: -5.5, beta_end: "high" })).toEqual([
      '"num_train_timesteps" is -5.5; it must be an integer from 2 to 10000 (Stable Diffusion models use 1000)',
      '"beta_end" is "high"; it must be a number from 0.000001 to 0.1 (Stable Diffusion uses 0.012, the original DDPM schedule 0.02)',
    ]);
  });

  it("still checks that beta_end is not below beta_start", () => {
    expect(() => parseSchedulerConfig({ ...SD15, beta_start: 0.02, beta_end: 0.01 })).toThrow('"beta_end" (0.01) must not be below "beta_start" (0.02)');
  });
});

describe("configs as Python writes them", () => {
  it("read `Infinity`, `-Infinity` and `NaN` outside strings, and leave strings alone", () => {
    expect(parsePythonJson('{"lambda_min_clipped": -Infinity, "a": Infinity, "b": NaN, "c": "-Infinity NaN", "d": [1, -Infinity]}')).toEqual({
      lambda_min_clipped: -Infinity,
      a: Infinity,
      b: Number.NaN,
      c: "-Infinity NaN",
      d: [1, -Infinity],
    });
    expect(() => parsePythonJson('{"a": -Infinit}')).toThrow(SyntaxError);
  });

  it("a DPM-Solver config saved by diffusers (lambda_min_clipped -Infinity) loads", () => {
    const config = parseSchedulerConfig('{"_class_name": "DPMSolverMultistepScheduler", "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012, "lambda_min_clipped": -Infinity, "steps_offset": 1}');
    expect(config.betaSchedule).toBe("scaled_linear");
  });
});

describe("scenec.yaml's device", () => {
  it("sets the default device; a name that is not one is refused with the choices", () => {
    expect(parseConfig("/p/scenec.yaml", "device: webgpu\n").device).toBe("webgpu");
    expect(parseConfig("/p/scenec.yaml", "models: {}\n").device).toBeUndefined();
    expect(() => parseConfig("/p/scenec.yaml", "device: tpu\n")).toThrow('/p/scenec.yaml: `device` must be auto, cpu, webgpu or cuda, not "tpu"');
  });
});
