/**
 * A Stable-Diffusion-1.5-size UNet with random weights, as an ONNX model folder part, for the
 * benchmarks: diffusers' UNet2DConditionModel architecture (SD 1.5: block widths 320/640/1280/1280,
 * two layers per block, CrossAttnDownBlock2D x3 + DownBlock2D, UNetMidBlock2DCrossAttn, UpBlock2D +
 * CrossAttnUpBlock2D x3, 8 heads, cross-attention width 768, GEGLU feed-forward), written with the
 * operators torch's ONNX export writes for it (GroupNorm as Reshape → InstanceNormalization →
 * Reshape → Mul → Add, SiLU as x·Sigmoid(x), GELU through Erf, attention as
 * `scaled_dot_product_attention` exports: Q·√s and Kᵀ·√s → MatMul → Softmax → MatMul over
 * [batch, heads, positions, head width]), so that ONNX Runtime runs it at a real model's cost and
 * the loader's rewrites (sliced-attention.ts) see what they see in an export.
 *
 * Widths are parameters, so a test can build a small one of the same architecture in milliseconds.
 * Weights are seeded uniform random numbers of variance 1/fan-in (so activations stay of unit
 * size through the network), norms start at scale 1 and shift 0, biases at 0; every weight goes
 * to one external `weights.pb`, as diffusers' export writes it, streamed tensor by tensor so that
 * writing 3.4 GB needs one tensor's memory.
 */
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { OnnxGraph } from "../src/runtime/onnx/onnx-graph.js";

const { onnx } = onnxProto;

export interface UnetConfig {
  /** Output channels of each down block (and, reversed, of each up block). */
  blockOutChannels: readonly number[];
  /** Whether each down block has cross-attention transformers (its up block mirrors it). */
  crossAttention: readonly boolean[];
  layersPerBlock: number;
  heads: number;
  crossAttentionDim: number;
  normGroups: number;
}

/** Stable Diffusion 1.5's UNet (runwayml/stable-diffusion-v1-5 unet/config.json). */
export const SD15_UNET: UnetConfig = {
  blockOutChannels: [320, 640, 1280, 1280],
  crossAttention: [true, true, true, false],
  layersPerBlock: 2,
  heads: 8,
  crossAttentionDim: 768,
  normGroups: 32,
};

/** How a weight starts: random of variance 1/fanIn, or all ones (norm scales), or zeros (biases, norm shifts). */
type Init = { fanIn: number } | "ones" | "zeros";

interface Weight {
  name: string;
  dims: number[];
  init: Init;
}

export interface UnetGraph {
  /** The model's bytes; its weights are external, in `weights.pb` at the offsets {@link weights} lists in order. */
  model: Uint8Array;
  weights: readonly Weight[];
  parameters: number;
}

const RESNET_EPS = 1e-5;
/** Transformer2DModel's GroupNorm eps (its LayerNorms use 1e-5). */
const TRANSFORMER_NORM_EPS = 1e-6;
const WEIGHTS_FILE = "weights.pb";

/**
 * The UNet's graph: inputs `sample` [B, 4, H, W] float32, `timestep` [B] float32 (as the tiny
 * conformance export has it), `encoder_hidden_states` [B, S, crossAttentionDim]; output `out_sample`.
 */
export function unetGraph(config: UnetConfig): UnetGraph {
  const g = new OnnxGraph("sd15_size_unet");
  const weights: Weight[] = [];
  const weight = (name: string, dims: number[], init: Init): string => {
    weights.push({ name, dims, init });
    return g.input(name, "float32", dims);
  };
  const groups = config.normGroups;
  const instanceScale = g.constant(new Float32Array(groups).fill(1), [groups]);
  const instanceBias = g.constant(new Float32Array(groups), [groups]);

  const conv = (x: string, name: string, cin: number, cout: number, kernel: 1 | 3, stride = 1) => {
    const pad = kernel === 3 ? 1 : 0;
    return g.node("Conv", [x, weight(`${name}.weight`, [cout, cin, kernel, kernel], { fanIn: cin * kernel * kernel }), weight(`${name}.bias`, [cout], "zeros")], {
      kernel_shape: [kernel, kernel],
      pads: [pad, pad, pad, pad],
      strides: [stride, stride],
    });
  };
  /** Linear on the last axis: MatMul with the transposed weight, then the bias, as torch exports it. */
  const linear = (x: string, name: string, cin: number, cout: number, bias = true) => {
    const y = g.node("MatMul", [x, weight(`${name}.weight`, [cin, cout], { fanIn: cin })]);
    return bias ? g.node("Add", [y, weight(`${name}.bias`, [cout], "zeros")]) : y;
  };
  const groupNorm = (x: string, name: string, channels: number, eps: number) => {
    const grouped = g.node("Reshape", [x, g.ints([0, groups, -1])]);
    const normed = g.node("Reshape", [g.node("InstanceNormalization", [grouped, instanceScale, instanceBias], { epsilon: eps }), g.node("Shape", [x])]);
    const scaled = g.node("Mul", [normed, weight(`${name}.weight`, [channels, 1, 1], "ones")]);
    return g.node("Add", [scaled, weight(`${name}.bias`, [channels, 1, 1], "zeros")]);
  };
  const layerNorm = (x: string, name: string, channels: number) =>
    g.node("LayerNormalization", [x, weight(`${name}.weight`, [channels], "ones"), weight(`${name}.bias`, [channels], "zeros")], { axis: -1, epsilon: 1e-5 });
  const silu = (x: string) => g.node("Mul", [x, g.node("Sigmoid", [x])]);
  const gelu = (x: string) => g.node("Mul", [g.node("Mul", [x, g.node("Add", [g.node("Erf", [g.node("Div", [x, g.scalar(Math.SQRT2)])]), g.scalar(1)])]), g.scalar(0.5)]);

  const resnet = (x: string, temb: string, name: string, cin: number, cout: number) => {
    let h = conv(silu(groupNorm(x, `${name}.norm1`, cin, RESNET_EPS)), `${name}.conv1`, cin, cout, 3);
    const t = linear(silu(temb), `${name}.time_emb_proj`, tembChannels, cout);
    h = g.node("Add", [h, g.node("Unsqueeze", [t, g.ints([2, 3])])]);
    h = conv(silu(groupNorm(h, `${name}.norm2`, cout, RESNET_EPS)), `${name}.conv2`, cout, cout, 3);
    const shortcut = cin === cout ? x : conv(x, `${name}.conv_shortcut`, cin, cout, 1);
    return g.node("Add", [shortcut, h]);
  };

  /** Multi-head attention of x [B, N, C] over context [B, M, contextDim], as torch exports scaled_dot_product_attention. */
  const attention = (x: string, context: string, name: string, channels: number, contextDim: number) => {
    const heads = config.heads;
    const headDim = channels / heads;
    const split = (v: string, perm: number[]) => g.node("Transpose", [g.node("Reshape", [v, g.ints([0, -1, heads, headDim])])], { perm });
    const rootScale = g.scalar(headDim ** -0.25);
    const q = g.node("Mul", [split(linear(x, `${name}.to_q`, channels, channels, false), [0, 2, 1, 3]), rootScale]);
    const kT = g.node("Mul", [split(linear(context, `${name}.to_k`, contextDim, channels, false), [0, 2, 3, 1]), rootScale]);
    const v = split(linear(context, `${name}.to_v`, contextDim, channels, false), [0, 2, 1, 3]);
    const mixed = g.node("MatMul", [g.node("Softmax", [g.node("MatMul", [q, kT])], { axis: -1 }), v]);
    const merged = g.node("Reshape", [g.node("Transpose", [mixed], { perm: [0, 2, 1, 3] }), g.ints([0, -1, channels])]);
    return linear(merged, `${name}.to_out.0`, channels, channels);
  };

  /** Transformer2DModel with one BasicTransformerBlock (self-attention, cross-attention, GEGLU). */
  const transformer = (x: string, context: string, name: string, channels: number) => {
    const h = conv(groupNorm(x, `${name}.norm`, channels, TRANSFORMER_NORM_EPS), `${name}.proj_in`, channels, channels, 1);
    const channelsLast = g.node("Transpose", [h], { perm: [0, 2, 3, 1] });
    let t = g.node("Reshape", [channelsLast, g.ints([0, -1, channels])]);
    const block = `${name}.transformer_blocks.0`;
    const normed = layerNorm(t, `${block}.norm1`, channels);
    t = g.node("Add", [t, attention(normed, normed, `${block}.attn1`, channels, channels)]);
    t = g.node("Add", [t, attention(layerNorm(t, `${block}.norm2`, channels), context, `${block}.attn2`, channels, config.crossAttentionDim)]);
    const inner = channels * 4;
    const projected = linear(layerNorm(t, `${block}.norm3`, channels), `${block}.ff.net.0.proj`, channels, inner * 2);
    const half = (from: number, to: number) => g.node("Slice", [projected, g.ints([from]), g.ints([to]), g.ints([-1])]);
    const geglu = g.node("Mul", [half(0, inner), gelu(half(inner, inner * 2))]);
    t = g.node("Add", [t, linear(geglu, `${block}.ff.net.2`, inner, channels)]);
    const back = g.node("Transpose", [g.node("Reshape", [t, g.node("Shape", [channelsLast])])], { perm: [0, 3, 1, 2] });
    return g.node("Add", [conv(back, `${name}.proj_out`, channels, channels, 1), x]);
  };

  const widths = config.blockOutChannels;
  const base = widths[0]!;
  const tembChannels = base * 4;
  const sample = g.input("sample", "float32", ["batch", 4, "height", "width"]);
  const timestep = g.input("timestep", "float32", ["batch"]);
  const context = g.input("encoder_hidden_states", "float32", ["batch", "sequence", config.crossAttentionDim]);

  // Timesteps(base, flip_sin_to_cos=True, downscale_freq_shift=0) → TimestepEmbedding.
  const half = base / 2;
  const frequencies = g.constant(
    Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half)),
    [1, half],
  );
  const angles = g.node("Mul", [g.node("Unsqueeze", [timestep, g.ints([1])]), frequencies]);
  const projection = g.node("Concat", [g.node("Cos", [angles]), g.node("Sin", [angles])], { axis: -1 });
  const temb = linear(silu(linear(projection, "time_embedding.linear_1", base, tembChannels)), "time_embedding.linear_2", tembChannels, tembChannels);

  let h = conv(sample, "conv_in", 4, base, 3);
  const skips: { value: string; channels: number }[] = [{ value: h, channels: base }];
  let channels = base;
  widths.forEach((out, level) => {
    for (let i = 0; i < config.layersPerBlock; i++) {
      h = resnet(h, temb, `down_blocks.${level}.resnets.${i}`, channels, out);
      channels = out;
      if (config.crossAttention[level]) h = transformer(h, context, `down_blocks.${level}.attentions.${i}`, out);
      skips.push({ value: h, channels });
    }
    if (level < widths.length - 1) {
      h = conv(h, `down_blocks.${level}.downsamplers.0.conv`, out, out, 3, 2);
      skips.push({ value: h, channels });
    }
  });

  const top = widths[widths.length - 1]!;
  h = resnet(h, temb, "mid_block.resnets.0", top, top);
  h = transformer(h, context, "mid_block.attentions.0", top);
  h = resnet(h, temb, "mid_block.resnets.1", top, top);

  const reversed = [...widths].reverse();
  const reversedAttention = [...config.crossAttention].reverse();
  reversed.forEach((out, level) => {
    for (let i = 0; i <= config.layersPerBlock; i++) {
      const skip = skips.pop()!;
      h = resnet(g.node("Concat", [h, skip.value], { axis: 1 }), temb, `up_blocks.${level}.resnets.${i}`, channels + skip.channels, out);
      channels = out;
      if (reversedAttention[level]) h = transformer(h, context, `up_blocks.${level}.attentions.${i}`, out);
    }
    if (level < reversed.length - 1) {
      const upsampled = g.node("Resize", [h, "", g.constant([1, 1, 2, 2], [4])], { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" });
      h = conv(upsampled, `up_blocks.${level}.upsamplers.0.conv`, out, out, 3);
    }
  });

  const out = conv(silu(groupNorm(h, "conv_norm_out", base, RESNET_EPS)), "conv_out", base, 4, 3);
  g.rename(out, "out_sample");
  g.output("out_sample", "float32", ["batch", 4, "height", "width"]);

  return { model: externalWeights(g.build({ opset: 17, producer: "scenec bench" }).model, weights), weights, parameters: weights.reduce((n, w) => n + count(w.dims), 0) };
}

const count = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/**
 * The model with its weight inputs turned into initializers stored in {@link WEIGHTS_FILE}, one
 * after the other in `weights`' order. (OnnxGraph keeps every initializer's bytes in memory; this
 * model's 3.4 GB are written by {@link writeUnet} a tensor at a time instead.)
 */
function externalWeights(bytes: Uint8Array, weights: readonly Weight[]): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  // decode() fills every repeated field.
  const graph = model.graph as InstanceType<typeof onnx.GraphProto>;
  const names = new Set(weights.map((w) => w.name));
  graph.input = graph.input.filter((input) => !names.has(input.name ?? ""));
  let offset = 0;
  for (const w of weights) {
    const length = count(w.dims) * 4;
    graph.initializer.push(
      onnx.TensorProto.create({
        name: w.name,
        dataType: onnx.TensorProto.DataType.FLOAT,
        dims: w.dims,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: "location", value: WEIGHTS_FILE },
          { key: "offset", value: String(offset) },
          { key: "length", value: String(length) },
        ],
      }),
    );
    offset += length;
  }
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Writes the UNet into `folder` (which must exist): model.onnx and weights.pb, the weights drawn
 * from a seeded generator (mulberry32) tensor by tensor into one reused buffer.
 */
export function writeUnet(folder: string, config: UnetConfig, seed: number): UnetGraph {
  const unet = unetGraph(config);
  const largest = Math.max(...unet.weights.map((w) => count(w.dims)));
  const buffer = new Float32Array(largest);
  const random = mulberry32(seed);
  const fd = openSync(join(folder, WEIGHTS_FILE), "w");
  try {
    for (const w of unet.weights) {
      const n = count(w.dims);
      const values = buffer.subarray(0, n);
      if (w.init === "ones") values.fill(1);
      else if (w.init === "zeros") values.fill(0);
      else {
        // Uniform on [-a, a] has variance a²/3: a = √(3 / fanIn) gives variance 1/fanIn.
        const a = Math.sqrt(3 / w.init.fanIn);
        for (let i = 0; i < n; i++) values[i] = (random() * 2 - 1) * a;
      }
      const bytes = new Uint8Array(values.buffer, 0, n * 4);
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
    }
  } finally {
    closeSync(fd);
  }
  writeFileSync(join(folder, "model.onnx"), unet.model);
  return unet;
}

/** A fast seeded generator of uniform numbers in [0, 1) (mulberry32). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
