import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinModelFiles } from "../src/runtime/builtin/builtin-model.js";
import { OnnxGraph, type Dim, type ElemType } from "../src/runtime/onnx/onnx-graph.js";
import { ModelError } from "../src/runtime/model/model-error.js";
import { folderSource, memorySource } from "../src/runtime/model/model-source.js";
import { CUDA_INSTALL_HINT, probeModel } from "../src/runtime/model/device.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { writeModelFolder } from "./helpers/model-folder.js";
import { runScenec, type CliRun } from "./helpers/scenec-cli.js";

/**
 * Broken model folders: each gives a ModelError that names the folder, the file and what was
 * expected, and through the CLI exit status 2 with one `scenec: …` line and no PNG.
 */

const encode = (text: string) => new TextEncoder().encode(text);

/** A tiny stand-in UNet: out_sample = sample, with the inputs' dtypes and shapes to test. */
function tinyUnet(options: { timestep?: ElemType; sample?: Dim[]; extra?: [string, Dim[]][] } = {}): Uint8Array {
  const g = new OnnxGraph("broken_unet");
  const sampleDims = options.sample ?? ["batch", 4, "height", "width"];
  const sample = g.input("sample", "float32", sampleDims);
  g.input("timestep", options.timestep ?? "float32", ["batch"]);
  g.input("encoder_hidden_states", "float32", ["batch", "sequence", 12]);
  for (const [name, dims] of options.extra ?? []) g.input(name, "float32", dims);
  g.rename(sample, "out_sample");
  g.output("out_sample", "float32", sampleDims);
  return g.build().model;
}

/** A tiny text encoder whose input is called `tokens`, not `input_ids`. */
function textEncoderWithoutInputIds(): Uint8Array {
  const g = new OnnxGraph("broken_text_encoder");
  const tokens = g.input("tokens", "int32", ["batch", "sequence"]);
  g.rename(g.node("Cast", [g.node("Unsqueeze", [tokens, g.ints([2])])], { to: 1 }), "last_hidden_state");
  g.output("last_hidden_state", "float32", ["batch", "sequence", 1]);
  return g.build().model;
}

type Edit = (files: Map<string, Uint8Array>) => void;

/** A model part's files under another name (an SDXL folder's second encoder or tokenizer, made from the first). */
function copyFolder(files: Map<string, Uint8Array>, from: string, to: string): void {
  for (const [file, bytes] of [...files]) if (file.startsWith(`${from}/`)) files.set(`${to}/${file.slice(from.length + 1)}`, bytes);
}

/** Sets keys of one of the model's JSON configs (creating the file when the model has none). */
function setJson(file: string, keys: Record<string, unknown>): Edit {
  return (files) => {
    const bytes = files.get(file);
    const json = bytes !== undefined ? (JSON.parse(new TextDecoder().decode(bytes)) as object) : {};
    files.set(file, encode(JSON.stringify({ ...json, ...keys })));
  };
}

interface BrokenCase {
  name: string;
  edit: Edit;
  /** The ModelError's `file`. */
  file: string;
  /** What the message must say, besides the folder and the file. */
  says: RegExp[];
}

const CASES: BrokenCase[] = [
  { name: "no-unet", edit: (f) => f.delete("unet/model.onnx"), file: "unet/model.onnx", says: [/missing unet\/model\.onnx/, /diffusers-ONNX or optimum-ONNX layout/] },
  { name: "no-vocab", edit: (f) => f.delete("tokenizer/vocab.json"), file: "tokenizer/vocab.json", says: [/missing tokenizer\/vocab\.json/, /tokenizer\//] },
  {
    name: "corrupt-unet",
    edit: (f) => f.set("unet/model.onnx", Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)),
    file: "unet/model.onnx",
    says: [/unet\/model\.onnx cannot be loaded by ONNX Runtime/, /protobuf parsing failed/i, /expected an ONNX model exported by diffusers or optimum/],
  },
  {
    name: "int32-timestep",
    edit: (f) => f.set("unet/model.onnx", tinyUnet({ timestep: "int32" })),
    file: "unet/model.onnx",
    says: [/input `timestep` is int32/, /expected float32 or float16 or int64/],
  },
  {
    name: "rank3-sample",
    edit: (f) => f.set("unet/model.onnx", tinyUnet({ sample: ["batch", 4, "height"] })),
    file: "unet/model.onnx",
    says: [/input `sample` has rank 3/, /expected rank 4/],
  },
  {
    name: "no-input-ids",
    edit: (f) => f.set("text_encoder/model.onnx", textEncoderWithoutInputIds()),
    file: "text_encoder/model.onnx",
    says: [/has no input `input_ids`/, /it has `tokens`/, /expected a Stable Diffusion text_encoder export/],
  },
  {
    name: "sample-prediction",
    edit: setJson("scheduler/scheduler_config.json", { prediction_type: "sample" }),
    file: "scheduler/scheduler_config.json",
    says: [/"prediction_type" is "sample"; it must be one of "epsilon", "v_prediction"/],
  },
  {
    name: "huge-timesteps",
    edit: setJson("scheduler/scheduler_config.json", { num_train_timesteps: 300000000 }),
    file: "scheduler/scheduler_config.json",
    says: [/"num_train_timesteps" is 300000000; it must be an integer from 2 to 10000/],
  },
  {
    name: "trillion-timesteps",
    edit: setJson("scheduler/scheduler_config.json", { num_train_timesteps: 1000000000000 }),
    file: "scheduler/scheduler_config.json",
    says: [/"num_train_timesteps" is 1000000000000; it must be an integer from 2 to 10000/],
  },
  {
    // Each value is in range; together they make a schedule that starts from σ ≈ 4·10¹¹.
    name: "sigma-overflow",
    edit: setJson("scheduler/scheduler_config.json", { num_train_timesteps: 10000 }),
    file: "scheduler/scheduler_config.json",
    says: [/"num_train_timesteps" 10000, "beta_start" 0\.00085, "beta_end" 0\.012 and "beta_schedule" "scaled_linear" make a noise schedule whose largest σ is \d\.\d\de\+\d+; it must be at most 10000/],
  },
  {
    name: "huge-scaling-factor",
    edit: setJson("vae_decoder/config.json", { scaling_factor: 1e308 }),
    file: "vae_decoder/config.json",
    says: [/"scaling_factor" is 1e\+308; it must be a number from 0\.01 to 10/],
  },
  {
    name: "shifted-vae",
    edit: setJson("vae_encoder/config.json", { scaling_factor: 1.5305, shift_factor: 0.0609 }),
    file: "vae_encoder/config.json",
    says: [/"shift_factor" is 0\.0609; it must be 0 or absent/, /not supported/],
  },
  {
    name: "scheduler-not-json",
    edit: (f) => f.set("scheduler/scheduler_config.json", encode("{ prediction_type: epsilon")),
    file: "scheduler/scheduler_config.json",
    says: [/is not valid JSON/, /expected a JSON object/],
  },
  {
    name: "sdxl-unet",
    edit: (f) => f.set("unet/model.onnx", tinyUnet({ extra: [["text_embeds", ["batch", 1280]], ["time_ids", ["batch", 6]]] })),
    file: "unet/model.onnx",
    says: [/`text_embeds`, `time_ids`/, /SDXL conditioning/, /no text_encoder_2\/model\.onnx/, /needs text_encoder_2\/ and tokenizer_2\//],
  },
  {
    name: "sdxl-no-tokenizer-2",
    edit: (f) => copyFolder(f, "text_encoder", "text_encoder_2"),
    file: "tokenizer_2/vocab.json",
    says: [/missing tokenizer_2\/vocab\.json \(or tokenizer_2\/tokenizer\.json\)/],
  },
  {
    name: "sdxl-no-hidden-states",
    edit: (f) => {
      copyFolder(f, "text_encoder", "text_encoder_2");
      copyFolder(f, "tokenizer", "tokenizer_2");
    },
    file: "text_encoder/model.onnx",
    says: [/has no hidden_states\.N outputs/, /penultimate layer/, /optimum-cli export onnx/],
  },
  {
    name: "no-weights",
    edit: (f) => f.delete("unet/weights.pb"),
    file: "unet/model.onnx",
    says: [/unet\/model\.onnx cannot be loaded by ONNX Runtime/, /external weights file unet\/weights\.pb is missing/],
  },
];

let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "scenec-broken-"));
  for (const c of CASES) {
    const files = builtinModelFiles();
    c.edit(files);
    writeModelFolder(path.join(root, c.name), files);
  }
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

async function loadError(load: Promise<OnnxDiffusionModel>): Promise<ModelError> {
  const outcome = await load.then(
    async (model) => {
      await model.release();
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(outcome, "the model should not load").toBeInstanceOf(ModelError);
  return outcome as ModelError;
}

describe("a broken model folder gives a ModelError naming the file and what was expected", () => {
  it("a missing folder", async () => {
    const folder = path.join(root, "no-such-folder");
    const error = await loadError(OnnxDiffusionModel.load(folderSource(folder), { device: "cpu" }));
    expect(error.message).toBe(`${folder}: no such model folder; expected a folder in the diffusers-ONNX or optimum-ONNX layout`);
  });

  it("a file instead of a folder", async () => {
    const file = path.join(root, "model.onnx");
    writeFileSync(file, builtinModelFiles().get("unet/model.onnx")!);
    const error = await loadError(OnnxDiffusionModel.load(folderSource(file), { device: "cpu" }));
    expect(error.message).toMatch(/model\.onnx is a file, not a model folder; a model folder needs text_encoder\//);
  });

  for (const c of CASES) {
    it(`${c.name}: from a folder`, async () => {
      const folder = path.join(root, c.name);
      const error = await loadError(OnnxDiffusionModel.load(folderSource(folder), { device: "cpu" }));
      expect(error.file).toBe(c.file);
      expect(error.message.startsWith(`${folder}: `), error.message).toBe(true);
      expect(error.message).toContain(c.file.split("/")[0]);
      for (const pattern of c.says) expect(error.message).toMatch(pattern);
    });
  }

  it("from memory too: the same messages, under the source's description", async () => {
    for (const c of CASES) {
      const files = builtinModelFiles();
      c.edit(files);
      const error = await loadError(OnnxDiffusionModel.load(memorySource("the test model", files), { device: "cpu" }));
      expect(error.file, c.name).toBe(c.file);
      expect(error.message.startsWith("the test model: "), error.message).toBe(true);
      for (const pattern of c.says) expect(error.message, c.name).toMatch(pattern);
    }
  });
});

function scenec(cwd: string, ...args: string[]): Promise<CliRun> {
  return runScenec(args, { cwd });
}

/** A tiny scene; `model` is written as given (a path relative to the scene, or none for the built-in model). */
function scene(model?: string): string {
  return `${model !== undefined ? `model "${model}"\n` : ""}canvas 64 x 64
steps 2
region all {
  size 64 x 64
  prompt "red"
}
`;
}

it("the probe model is valid (else a machine with CUDA or WebGPU would always fall back to the CPU)", async () => {
  const session = await ort.InferenceSession.create(probeModel(), { executionProviders: ["cpu"] });
  const out = await session.run({ x: new ort.Tensor("float32", Float32Array.of(3), [1]) });
  expect(Array.from(out["y"]!.data as Float32Array)).toEqual([3]);
  await session.release();
});

// Runs the built CLI (dist/): `npm run build` first, as `npm test` does. The runs are independent
// processes, so they run concurrently.
describe.concurrent("through the CLI: exit status 2, one `scenec:` line naming the file, no PNG", () => {
  /**
   * `says`: the key and the allowed range, for a config value out of bounds. (Not 300000000
   * timesteps: where that is not refused, the render takes 9.5 GB; the loader's case above covers it.)
   */
  const CLI_CASES: { model: string; file: string; says?: string }[] = [
    { model: "./no-such-folder", file: "no-such-folder" },
    { model: "./no-unet", file: "unet/model.onnx" },
    { model: "./no-vocab", file: "tokenizer/vocab.json" },
    { model: "./corrupt-unet", file: "unet/model.onnx" },
    { model: "./int32-timestep", file: "unet/model.onnx" },
    { model: "./sample-prediction", file: "scheduler/scheduler_config.json" },
    { model: "./trillion-timesteps", file: "scheduler/scheduler_config.json", says: '"num_train_timesteps" is 1000000000000; it must be an integer from 2 to 10000' },
    { model: "./huge-scaling-factor", file: "vae_decoder/config.json", says: '"scaling_factor" is 1e+308; it must be a number from 0.01 to 10' },
    { model: "./sdxl-unet", file: "unet/model.onnx" },
    { model: "./no-weights", file: "unet/weights.pb" },
  ];

  for (const { model, file, says } of CLI_CASES) {
    it(`model "${model}"`, async ({ expect }) => {
      const name = model.slice(2);
      writeFileSync(path.join(root, `${name}.scene`), scene(model));
      const out = path.join(root, `${name}.png`);
      const run = await scenec(root, "render", `${name}.scene`, "-o", out);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stdout).toBe("");
      const lines = run.stderr.trimEnd().split("\n");
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^scenec: /);
      expect(lines[0]).toContain(path.join(root, name));
      expect(lines[0]).toContain(file);
      if (says !== undefined) expect(lines[0]).toContain(`${file}: ${says}`);
      expect(run.stderr).not.toMatch(/\n\s+at |internal error|ModelError/);
      expect(existsSync(out)).toBe(false);
    });
  }

  it("--device cuda without CUDA's libraries renders on the CPU, with a warning naming the install command", async ({ expect }) => {
    writeFileSync(path.join(root, "builtin.scene"), scene());
    const out = path.join(root, "cuda.png");
    const run = await scenec(root, "render", "builtin.scene", "--device", "cuda", "-o", out);
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(run.stderr).toMatch(/warning: CUDA is not available \(.*\); rendering on the CPU/);
    expect(run.stderr).toContain(CUDA_INSTALL_HINT);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    // Nothing from ONNX Runtime's own logger (it colours its lines even under NO_COLOR).
    expect(run.stderr).not.toMatch(/\[E:onnxruntime|\x1b\[/);
  });
});
