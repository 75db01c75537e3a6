import path from "node:path";
import ort from "onnxruntime-node";
import { float32ToHalfArray } from "../onnx/float16.js";
import { posteriorMeanModel, SamplingPatternError } from "../onnx/posterior-mean.js";
import { ATTENTION_REWRITES, defaultAttentionForm, type AttentionForm } from "../onnx/attention-form.js";
import { chainRewrites, rewriteIdentity, type Rewrite } from "../onnx/graph-rewrite.js";
import { float32Model } from "../onnx/float32-upcast.js";
import { noiseSchedule } from "../schedulers/noise-schedule.js";
import { parseSchedulerConfig, SD_SCHEDULER_CONFIG, type SchedulerConfig } from "../schedulers/scheduler.js";
import { SD_SCALING_FACTOR } from "../latent-rgb.js";
import type { PlanText } from "../../compiler/plan/plan.js";
import type { TokenChunk } from "../text/prompt-chunks.js";
import type { ConditioningLayout, PromptEncoding, UnetConditioning } from "./conditioning.js";
import type { DiffusionModel, Shape4 } from "./diffusion-model.js";
import { modelConfigProblems } from "./config-schema.js";
import { chooseDevice, cpuDevice, type DeviceChoice, type DeviceRequest, type Providers } from "./device.js";
import { ModelError } from "./model-error.js";
import { sessionOptions } from "./session-options.js";
import { planDecoder } from "../vae/decoder-plan.js";
import { StagedDecoder } from "../vae/staged-decoder.js";
import type { ModelSource } from "./model-source.js";
import { modelCacheFromEnvironment, type ModelCache } from "./model-cache.js";
import { HalfInputs } from "./half-inputs.js";
import { MODEL_FAMILIES } from "./model-families.js";
import type { TextSide } from "./model-family.js";
import { firstLine, LAYOUT_HINT, readJson } from "./model-files.js";
import { floatTensor, outputPort, port, toFloat32, type FloatType } from "./onnx-ports.js";





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
 * The VAE's scaling factor (`scaling_factor` of vae_decoder/config.json, else SD 1.x's) and
 * whether it must compute in float32 (`force_upcast`, SDXL's VAE). Both VAE configs present are
 * checked against the schema (the encoder's latents are scaled the same way).
 */
function readVaeConfig(source: ModelSource): { scalingFactor: number; forceUpcast: boolean } {
  const checked = (file: string) => {
    const json = readJson(source, file);
    const problems = json !== undefined ? modelConfigProblems("vae", json) : [];
    if (problems.length > 0) throw new ModelError(`${source.description}: ${file}: ${problems.join("; ")}`, file);
    return json;
  };
  checked("vae_encoder/config.json");
  const config = checked("vae_decoder/config.json");
  const factor = config?.["scaling_factor"];
  return { scalingFactor: typeof factor === "number" ? factor : SD_SCALING_FACTOR, forceUpcast: config?.["force_upcast"] === true };
}

/** Which exporter wrote the folder (`index`: its model_index.json): diffusers' script (no component configs) or optimum. */
function detectLayout(source: ModelSource, index: Record<string, unknown> | undefined): "diffusers" | "optimum" {
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
  readonly conditioning: ConditioningLayout;

  private constructor(
    readonly description: string,
    /** The execution provider the sessions run on, and why it was chosen. */
    readonly device: DeviceChoice,
    readonly schedulerConfig: SchedulerConfig,
    readonly scalingFactor: number,
    /** The model family's text encoders and UNet conditioning (model-family.ts). */
    private readonly text: TextSide,
    private readonly sessions: { unet: ort.InferenceSession; decoder: ort.InferenceSession },
    /** Opens the VAE encoder (only guide images need it, so only on first use). */
    private readonly openEncoder: () => Promise<ort.InferenceSession>,
    /** Cuts the VAE decoder into stages (only tiled decodes need it, so only on first use). */
    private readonly openStagedDecoder: () => Promise<StagedDecoder | { reason: string }>,
    private readonly io: {
      unetFloat: FloatType;
      timestep: { type: string; rank: number };
      unetOutput: string;
      decoderFloat: FloatType;
      decoderOutput: string;
    },
  ) {
    this.conditioning = text.layout;
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
    const modelIndex = readJson(source, "model_index.json");
    const layout = detectLayout(source, modelIndex);
    const family = MODEL_FAMILIES.find((f) => f.matches(source))!;

    const schedulerConfig = readSchedulerConfig(source, options.onWarning);
    const { scalingFactor, forceUpcast } = readVaeConfig(source);

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
      // Attention fused or in slices: memory linear in the tile's area, not its square (attention-form.ts).
      // The decoder's one attention (at latent resolution, over the whole canvas in a whole decode) too.
      const attentionForm = options.attention ?? defaultAttentionForm(device.device);
      const attention = ATTENTION_REWRITES[attentionForm];
      const unet = await open("unet", attention);
      // A float16 VAE that must not compute in float16 (force_upcast) is made float32 first, as diffusers upcasts it.
      const upcast = forceUpcast ? FLOAT32_UPCAST : undefined;
      const decoder = await open("vae_decoder", chainRewrites(upcast, attention));
      // Guides encode to the posterior mean, deterministically, whichever layout: see posterior-mean.ts.
      const openEncoder = () => open("vae_encoder", { identity: POSTERIOR_MEAN, apply: (model) => encoderMean(source.description, model) });
      const openStagedDecoder = async () => {
        let plan: ReturnType<typeof planDecoder>;
        try {
          const bytes = source.read("vae_decoder/model.onnx")!;
          plan = planDecoder((upcast && upcast.apply(bytes)) ?? bytes, (location) => source.read(`vae_decoder/${location}`));
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

      const sample = port(source.description, unet, "unet", "input", "sample", ["float32", "float16"], [4]);
      const timestep = port(source.description, unet, "unet", "input", "timestep", ["float32", "float16", "int64"], [0, 1]);
      const floatInputs = unet.inputMetadata.filter((m) => m.isTensor && m.name !== "timestep" && m.type !== sample.type && ["float32", "float16"].includes(m.type));
      if (floatInputs.length) throw new ModelError(`${source.description}: unet/model.onnx mixes ${sample.type} and ${floatInputs[0]!.isTensor ? floatInputs[0]!.type : ""} inputs; expected one float type`, "unet/model.onnx");
      const unetOut = outputPort(source.description, unet, "unet", "out_sample", ["float32", "float16"], 4);
      const latent = port(source.description, decoder, "vae_decoder", "input", "latent_sample", ["float32", "float16"], [4]);
      const decoded = outputPort(source.description, decoder, "vae_decoder", "sample", ["float32", "float16"], 4);
      const text = await family.openText({ source, open, unet, unetFloat: sample.type as FloatType, modelIndex });

      const notes = [...(layout === "optimum" ? ["optimum layout"] : []), ...(family.name === "sdxl" ? ["SDXL"] : [])];
      const description = notes.length ? `${source.description} (${notes.join(", ")})` : source.description;
      return new OnnxDiffusionModel(description, device, schedulerConfig, scalingFactor, text, { unet, decoder }, openEncoder, openStagedDecoder, {
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

  tokenChunks(text: PlanText): TokenChunk[] {
    return this.text.chunks(text);
  }

  encodePrompts(texts: readonly PlanText[]): Promise<PromptEncoding[]> {
    return this.text.encode(texts);
  }

  async unet(sample: Float32Array, shape: Shape4, timestep: number, conditioning: UnetConditioning): Promise<Float32Array> {
    const { timestep: ts, unetFloat } = this.io;
    const batch = shape[0];
    let t: ort.Tensor;
    const dims = ts.rank === 0 ? [] : [batch];
    const count = ts.rank === 0 ? 1 : batch;
    if (ts.type === "int64") t = new ort.Tensor("int64", new BigInt64Array(count).fill(BigInt(Math.round(timestep))), dims);
    else if (ts.type === "float16") t = new ort.Tensor("float16", float32ToHalfArray(new Float32Array(count).fill(timestep)), dims);
    else t = new ort.Tensor("float32", new Float32Array(count).fill(timestep), dims);
    const feeds = this.text.unetFeeds(conditioning, batch, this.halfInputs);
    if (unetFloat === "float32") {
      const out = await this.sessions.unet.run({ sample: new ort.Tensor("float32", sample, shape), timestep: t, ...feeds });
      return toFloat32(out[this.io.unetOutput]!);
    }
    const halfSample = this.halfInputs.sample(sample);
    try {
      const out = await this.sessions.unet.run({ sample: new ort.Tensor("float16", halfSample, shape), timestep: t, ...feeds });
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
      this.text.release(),
      this.sessions.unet.release(),
      this.sessions.decoder.release(),
      releaseEncoder,
      staged?.then((s) => ("release" in s ? s.release() : undefined)),
    ]);
  }
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

const FLOAT32_UPCAST: Rewrite = { identity: rewriteIdentity("float32-upcast", [float32Model]), apply: float32Model };

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
  const options = sessionOptions(executionProviders);
  const onDisk = source.pathOf(file);
  const missingFile = () => new ModelError(`${source.description}: missing ${file}; ${LAYOUT_HINT}`, file);
  const load = async (options: ort.InferenceSession.SessionOptions) => {
    if (onDisk !== undefined && !rewrite) return ort.InferenceSession.create(onDisk, options);
    const read = source.read(file);
    if (!read) throw missingFile();
    const rewritten = rewrite?.apply(read);
    const bytes = rewritten ?? read;
    if (onDisk !== undefined && bytes === read) return ort.InferenceSession.create(onDisk, options);
    const externalData = WEIGHT_FILES
      .map((w) => ({ path: w, data: source.read(`${name}/${w}`) }))
      .filter((e): e is { path: string; data: Uint8Array } => e.data !== undefined);
    return ort.InferenceSession.create(bytes, externalData.length ? { ...options, externalData } : options);
  };
  try {
    if (!source.exists(file)) throw missingFile();
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

