import path from "node:path";
import ort from "onnxruntime-node";
import { float32ToHalfArray, halfArrayToFloat32 } from "../onnx/float16.js";
import { posteriorMeanModel, SamplingPatternError } from "../onnx/posterior-mean.js";
import { ATTENTION_REWRITES, defaultAttentionForm, type AttentionForm } from "../onnx/attention-form.js";
import { rewriteIdentity, type Rewrite } from "../onnx/graph-rewrite.js";
import { noiseSchedule } from "../schedulers/noise-schedule.js";
import { parseSchedulerConfig, SD_SCHEDULER_CONFIG, type SchedulerConfig } from "../schedulers/scheduler.js";
import { SD_SCALING_FACTOR } from "../latent-rgb.js";
import { ClipTokenizer, type TokenizerFiles } from "../text/clip-tokenizer.js";
import type { DiffusionModel, Shape4 } from "./diffusion-model.js";
import { modelConfigProblems } from "./config-schema.js";
import { chooseDevice, cpuDevice, type DeviceChoice, type DeviceRequest, type Providers } from "./device.js";
import { parsePythonJson } from "./python-json.js";
import { ModelError } from "./model-error.js";
import { planDecoder } from "../vae/decoder-plan.js";
import { StagedDecoder } from "../vae/staged-decoder.js";
import type { ModelSource } from "./model-source.js";
import { modelCacheFromEnvironment, type ModelCache } from "./model-cache.js";
import { HalfInputs } from "./half-inputs.js";


type FloatType = "float32" | "float16";
interface Port {
  name: string;
  type: string;
  shape: readonly (number | string)[];
}

/** The install command for ONNX Runtime's CUDA provider (the project skips it at install time). */

const decoder = new TextDecoder();

const LAYOUT_HINT = "a model folder needs text_encoder/, unet/, vae_decoder/, tokenizer/ and scheduler/ in the diffusers-ONNX or optimum-ONNX layout";

function readText(source: ModelSource, file: string, required: boolean): string | undefined {
  const bytes = source.read(file);
  if (!bytes) {
    if (required) throw new ModelError(`${source.description}: missing ${file}; ${LAYOUT_HINT}`, file);
    return undefined;
  }
  return decoder.decode(bytes);
}

function readJson(source: ModelSource, file: string): Record<string, unknown> | undefined {
  const text = readText(source, file, false);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = parsePythonJson(text);
  } catch (error) {
    throw new ModelError(`${source.description}: ${file} is not valid JSON (${firstLine((error as Error).message)}); expected a JSON object`, file);
  }
  if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new ModelError(`${source.description}: ${file} is not a JSON object`, file);
}

const SCHEDULER_CONFIG = "scheduler/scheduler_config.json";

/**
 * The largest noise level σ a schedule may reach. Stable Diffusion's is 14.6 and the original DDPM
 * schedule's 157; betas and a number of timesteps that are each within the schema's bounds can
 * still multiply out to a schedule that starts from σ in the billions (or ᾱ rounding to 0, σ = ∞).
 */
const MAX_SIGMA = 10_000;

/** The folder's noise schedule, checked against the schema and {@link MAX_SIGMA}; SD 1.5's, with a warning, when it has none. */
function readSchedulerConfig(source: ModelSource, onWarning?: (message: string) => void): SchedulerConfig {
  const json = readJson(source, SCHEDULER_CONFIG);
  if (json === undefined) {
    onWarning?.(`${source.description}: no ${SCHEDULER_CONFIG}; using Stable Diffusion 1.5's noise schedule`);
    return SD_SCHEDULER_CONFIG;
  }
  let config: SchedulerConfig;
  try {
    config = parseSchedulerConfig(json);
  } catch (error) {
    throw new ModelError(`${source.description}: ${SCHEDULER_CONFIG}: ${(error as Error).message.replace(/^scheduler_config\.json: /, "")}`, SCHEDULER_CONFIG);
  }
  const sigmas = noiseSchedule(config).sigmas;
  const sigmaMax = sigmas[sigmas.length - 1]!;
  if (!(sigmaMax <= MAX_SIGMA)) {
    const { numTrainTimesteps, betaStart, betaEnd, betaSchedule } = config;
    throw new ModelError(
      `${source.description}: ${SCHEDULER_CONFIG}: "num_train_timesteps" ${numTrainTimesteps}, "beta_start" ${betaStart}, "beta_end" ${betaEnd} and "beta_schedule" "${betaSchedule}" make a noise schedule whose largest σ is ${sigmaMax.toPrecision(3)}; it must be at most ${MAX_SIGMA} (Stable Diffusion's is 14.6), so use fewer timesteps or smaller betas`,
      SCHEDULER_CONFIG,
    );
  }
  return config;
}

/**
 * The VAE scaling factor: `scaling_factor` of vae_decoder/config.json, else SD 1.x's. Both VAE
 * configs present are checked against the schema (the encoder's latents are scaled the same way).
 */
function readScalingFactor(source: ModelSource): number {
  const checked = (file: string) => {
    const json = readJson(source, file);
    const problems = json !== undefined ? modelConfigProblems("vae", json) : [];
    if (problems.length > 0) throw new ModelError(`${source.description}: ${file}: ${problems.join("; ")}`, file);
    return json;
  };
  checked("vae_encoder/config.json");
  const factor = checked("vae_decoder/config.json")?.["scaling_factor"];
  return typeof factor === "number" ? factor : SD_SCALING_FACTOR;
}

/** Which exporter wrote the folder: diffusers' script (no component configs) or optimum. */
function detectLayout(source: ModelSource): "diffusers" | "optimum" {
  const index = readJson(source, "model_index.json");
  const cls = typeof index?._class_name === "string" ? index._class_name : "";
  if (/onnx/i.test(cls) || (Array.isArray(index?.vae_decoder) && index.vae_decoder[1] === "OnnxRuntimeModel")) return "diffusers";
  if (source.exists("vae_decoder/config.json")) return "optimum";
  return "diffusers";
}

/**
 * A Stable Diffusion model in a diffusers-ONNX or optimum-ONNX folder, run with ONNX Runtime.
 * Reads every input's dtype and rank from the sessions' metadata, converts to and from float16
 * where the model wants it, and finds external weights next to each model file.
 */
export class OnnxDiffusionModel implements DiffusionModel {
  readonly sequenceLength: number;

  private constructor(
    readonly description: string,
    /** The execution provider the sessions run on, and why it was chosen. */
    readonly device: DeviceChoice,
    readonly schedulerConfig: SchedulerConfig,
    readonly scalingFactor: number,
    readonly hiddenSize: number,
    private readonly tokenizer: ClipTokenizer,
    private readonly sessions: { text: ort.InferenceSession; unet: ort.InferenceSession; decoder: ort.InferenceSession },
    /** Opens the VAE encoder (only guide images need it, so only on first use). */
    private readonly openEncoder: () => Promise<ort.InferenceSession>,
    /** Cuts the VAE decoder into stages (only tiled decodes need it, so only on first use). */
    private readonly openStagedDecoder: () => Promise<StagedDecoder | { reason: string }>,
    private readonly io: {
      inputIds: "int32" | "int64";
      textOutput: string;
      textFloat: FloatType;
      unetFloat: FloatType;
      timestep: { type: string; rank: number };
      unetOutput: string;
      decoderFloat: FloatType;
      decoderOutput: string;
    },
  ) {
    this.sequenceLength = tokenizer.maxLength;
  }

  static async load(
    source: ModelSource,
    options: {
      device: DeviceRequest | DeviceChoice;
      onWarning?: (message: string) => void;
      onDiagnostics?: (text: string) => void;
      /** How the UNet computes attention (attention-form.ts); default: the device's best. Benchmarks and tests compare the forms. */
      attention?: AttentionForm;
      /** Where optimised models are cached (model-cache.ts); null: no cache. Default: as the environment says. */
      modelCache?: ModelCache | null;
    },
  ): Promise<OnnxDiffusionModel> {
    if (source.pathOf("") !== undefined) {
      if (!source.exists("")) throw new ModelError(`${source.description}: no such model folder; expected a folder in the diffusers-ONNX or optimum-ONNX layout`);
      if (source.read("") !== undefined) throw new ModelError(`${source.description} is a file, not a model folder; ${LAYOUT_HINT}`);
    }
    if (source.exists("text_encoder_2/model.onnx")) throw new ModelError(`${source.description}: SDXL models (text_encoder_2/) are not supported yet`, "text_encoder_2/model.onnx");
    const layout = detectLayout(source);
    const tokenizer = loadTokenizer(source);

    const schedulerConfig = readSchedulerConfig(source, options.onWarning);
    const scalingFactor = readScalingFactor(source);

    const device =
      typeof options.device === "object"
        ? options.device
        : await chooseDevice(options.device, { ...(options.onWarning ? { onWarning: options.onWarning } : {}), ...(options.onDiagnostics ? { onDiagnostics: options.onDiagnostics } : {}) });
    const { providers } = device;
    // Sessions opened before a check fails are released, so a long-lived worker does not keep them.
    const opened: ort.InferenceSession[] = [];
    const cache: CacheUse = {
      cache: options.modelCache === undefined ? modelCacheFromEnvironment() : (options.modelCache ?? undefined),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.onDiagnostics ? { onDiagnostics: options.onDiagnostics } : {}),
    };
    const open = async (name: string, rewrite?: Rewrite) => {
      const session = await openSession(source, name, providers, cache, rewrite);
      opened.push(session);
      return session;
    };
    try {
      const text = await open("text_encoder");
      // Attention fused or in slices: memory linear in the tile's area, not its square (attention-form.ts).
      // The decoder's one attention (at latent resolution, over the whole canvas in a whole decode) too.
      const attentionForm = options.attention ?? defaultAttentionForm(device.device);
      const attention = ATTENTION_REWRITES[attentionForm];
      const unet = await open("unet", attention);
      const decoder = await open("vae_decoder", attention);
      // Guides encode to the posterior mean, deterministically, whichever layout: see posterior-mean.ts.
      const openEncoder = () => open("vae_encoder", { identity: POSTERIOR_MEAN, apply: (model) => encoderMean(source.description, model) });
      const openStagedDecoder = async () => {
        let plan: ReturnType<typeof planDecoder>;
        try {
          plan = planDecoder(source.read("vae_decoder/model.onnx")!, (location) => source.read(`vae_decoder/${location}`));
        } catch (error) {
          return { reason: (error as Error).message };
        }
        if ("reason" in plan) return plan;
        if (plan.steps.every((step) => step.kind === "segment")) return { reason: "it has no GroupNorm or attention, so its tiles decode independently" };
        // No memory arena: each of the many segment sessions would keep its own at its peak. No
        // spinning: a session's idle threads would spin while the next segment's session runs.
        const options = {
          executionProviders: providers,
          graphOptimizationLevel: "all",
          logSeverityLevel: 3,
          enableCpuMemArena: false,
          extra: { session: { intra_op: { allow_spinning: "0" } } },
        } as const;
        const { segmentModel, ...steps } = plan;
        // The decoder's session (a whole decode) runs its attention as the UNet's: its memory estimate counts that.
        steps.profile = { ...steps.profile, wholeAttention: attentionForm };
        return new StagedDecoder(steps, segmentModel, (model) => ort.InferenceSession.create(model, options));
      };

      const ids = port(source.description, text, "text_encoder", "input", "input_ids", ["int32", "int64"], [2]);
      const textOut = outputPort(source.description, text, "text_encoder", "last_hidden_state", ["float32", "float16"], 3);
      const sample = port(source.description, unet, "unet", "input", "sample", ["float32", "float16"], [4]);
      const timestep = port(source.description, unet, "unet", "input", "timestep", ["float32", "float16", "int64"], [0, 1]);
      const hidden = port(source.description, unet, "unet", "input", "encoder_hidden_states", ["float32", "float16"], [3]);
      const extra = unet.inputMetadata.map((m) => m.name).filter((n) => !["sample", "timestep", "encoder_hidden_states"].includes(n));
      if (extra.length) throw new ModelError(`${source.description}: unet/model.onnx has inputs ${extra.map((n) => `\`${n}\``).join(", ")} (SDXL-style conditioning), which is not supported yet; expected only sample, timestep and encoder_hidden_states`, "unet/model.onnx");
      const unetOut = outputPort(source.description, unet, "unet", "out_sample", ["float32", "float16"], 4);
      const latent = port(source.description, decoder, "vae_decoder", "input", "latent_sample", ["float32", "float16"], [4]);
      const decoded = outputPort(source.description, decoder, "vae_decoder", "sample", ["float32", "float16"], 4);
      if (sample.type !== hidden.type) throw new ModelError(`${source.description}: unet/model.onnx mixes ${sample.type} and ${hidden.type} inputs; expected one float type`, "unet/model.onnx");
      const hiddenSize = typeof hidden.shape[2] === "number" ? hidden.shape[2] : typeof textOut.shape[2] === "number" ? textOut.shape[2] : NaN;
      if (!Number.isFinite(hiddenSize)) throw new ModelError(`${source.description}: cannot tell the text embedding width from unet/model.onnx or text_encoder/model.onnx`, "unet/model.onnx");

      const description = layout === "diffusers" ? source.description : `${source.description} (optimum layout)`;
      return new OnnxDiffusionModel(description, device, schedulerConfig, scalingFactor, hiddenSize, tokenizer, { text, unet, decoder }, openEncoder, openStagedDecoder, {
        inputIds: ids.type as "int32" | "int64",
        textOutput: textOut.name,
        textFloat: textOut.type as FloatType,
        unetFloat: sample.type as FloatType,
        timestep: { type: timestep.type, rank: timestep.shape.length },
        unetOutput: unetOut.name,
        decoderFloat: latent.type as FloatType,
        decoderOutput: decoded.name,
      });
    } catch (error) {
      await Promise.all(opened.map((session) => session.release().catch(() => undefined)));
      // A float16 model on an adapter without shader-f16: WebGPU cannot compile its kernels.
      if (device.device === "webgpu" && error instanceof ModelError && /requires f16 but the device does not support it/.test(error.message)) {
        const why = "this WebGPU adapter has no shader-f16, which the float16 model needs";
        options.onWarning?.(`${why}; rendering on the CPU`);
        return OnnxDiffusionModel.load(source, { ...options, device: cpuDevice(why) });
      }
      throw error;
    }
  }

  tokenize(text: string) {
    const e = this.tokenizer.encode(text);
    return { ids: e.ids, truncated: e.truncated, ...(e.droppedText !== undefined ? { droppedText: e.droppedText } : {}) };
  }

  async encodeText(ids: Int32Array, count: number): Promise<Float32Array> {
    const data = this.io.inputIds === "int32" ? ids : BigInt64Array.from(ids, (v) => BigInt(v));
    const out = await this.sessions.text.run({ input_ids: new ort.Tensor(this.io.inputIds, data, [count, this.sequenceLength]) });
    return toFloat32(out[this.io.textOutput]!);
  }

  async unet(sample: Float32Array, shape: Shape4, timestep: number, hidden: Float32Array): Promise<Float32Array> {
    const { timestep: ts, unetFloat } = this.io;
    const batch = shape[0];
    let t: ort.Tensor;
    const dims = ts.rank === 0 ? [] : [batch];
    const count = ts.rank === 0 ? 1 : batch;
    if (ts.type === "int64") t = new ort.Tensor("int64", new BigInt64Array(count).fill(BigInt(Math.round(timestep))), dims);
    else if (ts.type === "float16") t = new ort.Tensor("float16", float32ToHalfArray(new Float32Array(count).fill(timestep)), dims);
    else t = new ort.Tensor("float32", new Float32Array(count).fill(timestep), dims);
    const hiddenShape = [batch, this.sequenceLength, this.hiddenSize];
    if (unetFloat === "float32") {
      const out = await this.sessions.unet.run({ sample: new ort.Tensor("float32", sample, shape), timestep: t, encoder_hidden_states: new ort.Tensor("float32", hidden, hiddenShape) });
      return toFloat32(out[this.io.unetOutput]!);
    }
    const halfSample = this.halfInputs.sample(sample);
    try {
      const out = await this.sessions.unet.run({
        sample: new ort.Tensor("float16", halfSample, shape),
        timestep: t,
        encoder_hidden_states: new ort.Tensor("float16", this.halfInputs.embedding(hidden), hiddenShape),
      });
      return toFloat32(out[this.io.unetOutput]!);
    } finally {
      this.halfInputs.release(halfSample);
    }
  }

  /** A float16 UNet's inputs, converted into reused buffers, the embeddings once per content. */
  private readonly halfInputs = new HalfInputs();

  async decode(latents: Float32Array, shape: Shape4): Promise<Float32Array> {
    const out = await this.sessions.decoder.run({ latent_sample: floatTensor(this.io.decoderFloat, latents, shape) });
    return toFloat32(out[this.io.decoderOutput]!);
  }

  private staged: Promise<StagedDecoder | { reason: string }> | undefined;

  stagedDecoder(): Promise<StagedDecoder | { reason: string }> {
    return (this.staged ??= this.openStagedDecoder());
  }

  private encoder: Promise<ort.InferenceSession> | undefined;

  async encodeImage(image: Float32Array, shape: Shape4): Promise<Float32Array> {
    // The mean is the first half of each image's channels: for a batch of one, the first half of the output.
    if (shape[0] !== 1) throw new RangeError(`encodeImage encodes one image at a time, not a batch of ${shape[0]}`);
    const session = await (this.encoder ??= this.openEncoder());
    const input = port(this.description, session, "vae_encoder", "input", "sample", ["float32", "float16"], [4]);
    const output = session.outputMetadata[0]!;
    const out = await session.run({ sample: floatTensor(input.type as FloatType, image, shape) });
    const value = toFloat32(out[output.name]!);
    const channels = value.length / (shape[0] * (shape[2] / 8) * (shape[3] / 8));
    // `latent_parameters` holds mean and log-variance: keep the mean (deterministic encoding).
    return channels === 8 ? value.slice(0, value.length / 2) : value;
  }

  async release(): Promise<void> {
    const encoder = this.encoder;
    const staged = this.staged;
    this.encoder = undefined;
    this.staged = undefined;
    // An encoder that failed to open has nothing to release (encodeImage reported the failure).
    const releaseEncoder = encoder?.then(
      (e) => e.release(),
      () => undefined,
    );
    await Promise.all([
      this.sessions.text.release(),
      this.sessions.unet.release(),
      this.sessions.decoder.release(),
      releaseEncoder,
      staged?.then((s) => ("release" in s ? s.release() : undefined)),
    ]);
  }
}

/** vocab.json + merges.txt (older exports), else tokenizer.json alone (what current transformers saves). */
function loadTokenizer(source: ModelSource): ClipTokenizer {
  const vocab = readText(source, "tokenizer/vocab.json", false);
  const merges = readText(source, "tokenizer/merges.txt", false);
  let files: TokenizerFiles;
  if (vocab !== undefined && merges !== undefined) files = { vocab, merges };
  else {
    const tokenizerJson = readText(source, "tokenizer/tokenizer.json", false);
    const missing = vocab === undefined ? "tokenizer/vocab.json" : "tokenizer/merges.txt";
    if (tokenizerJson === undefined) throw new ModelError(`${source.description}: missing ${missing} (or tokenizer/tokenizer.json); ${LAYOUT_HINT}`, missing);
    files = { tokenizerJson };
  }
  const specialTokensMap = readText(source, "tokenizer/special_tokens_map.json", false);
  const tokenizerConfig = readText(source, "tokenizer/tokenizer_config.json", false);
  try {
    return ClipTokenizer.fromFiles({ ...files, ...(specialTokensMap !== undefined ? { specialTokensMap } : {}), ...(tokenizerConfig !== undefined ? { tokenizerConfig } : {}) });
  } catch (error) {
    throw new ModelError(`${source.description}: tokenizer/: ${(error as Error).message}`, files.tokenizerJson !== undefined ? "tokenizer/tokenizer.json" : "tokenizer/vocab.json");
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.slice(0, 200);
}

/** The VAE encoder's bytes rewritten to output the posterior mean; a sampling it does not recognise is a ModelError. */
function encoderMean(description: string, model: Uint8Array): Uint8Array {
  try {
    return posteriorMeanModel(model);
  } catch (error) {
    if (!(error instanceof SamplingPatternError)) throw error;
    throw new ModelError(
      `${description}: vae_encoder/model.onnx draws random numbers, so its output would be a random sample of the latent, not the deterministic mean guides need, and scenec cannot take the sampling out: ${error.message}. Export the VAE encoder again with optimum-cli export onnx (its \`latent_parameters\` output holds the mean) or with diffusers' convert_stable_diffusion_checkpoint_to_onnx.py, whose sampling scenec removes`,
      "vae_encoder/model.onnx",
    );
  }
}

const POSTERIOR_MEAN = rewriteIdentity("posterior-mean", [posteriorMeanModel]);

/** The model cache for a load, if any, and where its warnings and diagnostics go. */
interface CacheUse {
  cache: ModelCache | undefined;
  onWarning?: (message: string) => void;
  onDiagnostics?: (text: string) => void;
}

/**
 * An InferenceSession on `name`/model.onnx. With `rewrite`, the model's bytes are read and
 * rewritten first (`rewrite` returns undefined, or the same bytes, to leave the model as it is),
 * and any external weights file is passed to ONNX Runtime as bytes: a model loaded from bytes has
 * no folder to resolve them in (and ONNX Runtime refuses weights reached through a link from
 * elsewhere: "External data path escapes model directory"). A model on disk goes through the
 * model cache when there is one: a cached optimised graph is opened without reading or rewriting
 * the original.
 */
async function openSession(source: ModelSource, name: string, executionProviders: Providers, cache: CacheUse, rewrite?: Rewrite): Promise<ort.InferenceSession> {
  const file = `${name}/model.onnx`;
  const options: ort.InferenceSession.SessionOptions = { executionProviders, graphOptimizationLevel: "all", logSeverityLevel: 3 };
  const onDisk = source.pathOf(file);
  const load = async (options: ort.InferenceSession.SessionOptions) => {
    if (onDisk !== undefined && !rewrite) return ort.InferenceSession.create(onDisk, options);
    const read = source.read(file)!;
    const rewritten = rewrite?.apply(read);
    const bytes = rewritten ?? read;
    if (onDisk !== undefined && bytes === read) return ort.InferenceSession.create(onDisk, options);
    const externalData = WEIGHT_FILES
      .map((w) => ({ path: w, data: source.read(`${name}/${w}`) }))
      .filter((e): e is { path: string; data: Uint8Array } => e.data !== undefined);
    return ort.InferenceSession.create(bytes, externalData.length ? { ...options, externalData } : options);
  };
  try {
    if (onDisk !== undefined ? !source.exists(file) : !source.read(file)) throw new ModelError(`${source.description}: missing ${file}; ${LAYOUT_HINT}`, file);
    // Only models on disk are cached: the built-in model is generated in memory in milliseconds, and
    // its bytes are its only identity.
    if (onDisk === undefined || !cache.cache) return await load(options);
    const identity = { file, folder: path.dirname(onDisk), ...(rewrite ? { rewrite: rewrite.identity } : {}) };
    return await cache.cache.session(identity, options, load, cache);
  } catch (error) {
    if (error instanceof ModelError) throw error;
    const message = (error as Error).message;
    // A missing external weights file: from a path ORT says which; from bytes it says "escapes working directory".
    const missing = /External data path does not exist: "([^"]+)"/.exec(message)?.[1]?.split(/[\\/]/).pop();
    if (missing !== undefined || /external data path for model loaded from bytes/i.test(message)) {
      const weights = missing !== undefined ? `${name}/${missing}` : `${name}/weights.pb or ${name}/model.onnx_data`;
      throw new ModelError(`${source.description}: ${file} cannot be loaded by ONNX Runtime: its external weights file ${weights} is missing; expected it next to the model file, as diffusers (weights.pb) and optimum (model.onnx_data) write it`, file);
    }
    throw new ModelError(`${source.description}: ${file} cannot be loaded by ONNX Runtime (${firstLine(message)}); expected an ONNX model exported by diffusers or optimum`, file);
  }
}

/** Where diffusers (weights.pb) and optimum (model.onnx_data) put weights over protobuf's 2 GB. */
const WEIGHT_FILES = ["weights.pb", "model.onnx_data"];

function describeRanks(ranks: readonly number[]): string {
  return ranks.map((r) => (r === 0 ? "a scalar" : `rank ${r}`)).join(" or ");
}

/** An input or output by name, checked for dtype and rank. */
function port(description: string, session: ort.InferenceSession, model: string, kind: "input", name: string, types: readonly string[], ranks: readonly number[]): Port {
  const meta = session.inputMetadata.find((m) => m.name === name);
  const file = `${model}/model.onnx`;
  if (!meta) throw new ModelError(`${description}: ${file} has no ${kind} \`${name}\` (it has ${session.inputNames.map((n) => `\`${n}\``).join(", ")}); expected a Stable Diffusion ${model} export`, file);
  if (!meta.isTensor) throw new ModelError(`${description}: ${file}: ${kind} \`${name}\` is not a tensor`, file);
  if (!types.includes(meta.type)) throw new ModelError(`${description}: ${file}: ${kind} \`${name}\` is ${meta.type}; expected ${types.join(" or ")}`, file);
  if (!ranks.includes(meta.shape.length)) throw new ModelError(`${description}: ${file}: ${kind} \`${name}\` has rank ${meta.shape.length}; expected ${describeRanks(ranks)}`, file);
  return { name, type: meta.type, shape: meta.shape };
}

/** The output of that name, or the model's first output (exporters differ in names). */
function outputPort(description: string, session: ort.InferenceSession, model: string, name: string, types: readonly string[], rank: number): Port {
  const meta = session.outputMetadata.find((m) => m.name === name) ?? session.outputMetadata[0];
  const file = `${model}/model.onnx`;
  if (!meta || !meta.isTensor) throw new ModelError(`${description}: ${file} has no tensor output; expected \`${name}\``, file);
  if (!types.includes(meta.type)) throw new ModelError(`${description}: ${file}: output \`${meta.name}\` is ${meta.type}; expected ${types.join(" or ")}`, file);
  if (meta.shape.length !== rank) throw new ModelError(`${description}: ${file}: output \`${meta.name}\` has rank ${meta.shape.length}; expected rank ${rank}`, file);
  return { name: meta.name, type: meta.type, shape: meta.shape };
}

function floatTensor(type: FloatType, data: Float32Array, dims: readonly number[]): ort.Tensor {
  return type === "float16" ? new ort.Tensor("float16", float32ToHalfArray(data), dims) : new ort.Tensor("float32", data, dims);
}

function toFloat32(tensor: ort.Tensor): Float32Array {
  if (tensor.type === "float16") return halfArrayToFloat32(tensor.data as Uint16Array);
  if (tensor.type === "float32") return tensor.data as Float32Array;
  throw new Error(`unexpected output type ${tensor.type}`);
}
