import type { AttentionForm } from "../onnx/attention-form.js";
import { ATTENTION_SLICES } from "../onnx/sliced-attention.js";
/**
 * What a VAE decoder costs as a function of the canvas: its peak memory (to decide between a
 * whole and a tiled decode, and how big the tiles may be) and where its work is (to weigh the
 * padding of staged tiles). Read off the decoder's graph (decoder-plan.ts), or, for a decoder
 * whose graph cannot be read, SD 1.5's.
 */
export interface DecoderProfile {
  /** Bytes of one activation value (4 for float32 decoders, 2 for float16). */
  elementBytes: number;
  /** Every convolution, in graph order. */
  convs: ConvCost[];
  /** Each attention's queries per latent element (1 at latent resolution): its scores are (area·q)² values. */
  attentions: number[];
  /**
   * How the decoder's own session (a whole decode) computes attention (attention-form.ts):
   * absent, as exported, holding every score.
   */
  wholeAttention?: AttentionForm;
}

export interface ConvCost {
  /** Multiply-adds per latent element of the canvas. */
  cost: number;
  /** Values per latent element of its input or output, whichever is larger (channels times pixels per latent element). */
  values: number;
  /** Latent elements of its input that its share of the output depends on beyond the core: what a staged tile still needs around its core there. */
  reach: number;
}

/**
 * Activations of the widest size alive at once. Measured with the tiny conformance VAE (whole
 * decodes, 32² to 176 x 80 latent elements): 1.5 to 2 besides the attention's scores, ONNX
 * Runtime reusing buffers in place; 3 leaves room for SD 1.5's first full-resolution ResNet,
 * whose 256-channel input stays alive beside its 128-channel outputs.
 */
const LIVE_ACTIVATIONS = 3;

/** An attention's scores and their softmax are both alive (measured: 1.8 copies, tiny VAE at 12,288 and 14,080 positions). */
const SCORE_COPIES = 2;

/** Scores (queries x canvas positions) one staged attention run may hold: 2^24 values, 64 MB in float32. */
export const ATTENTION_SCORES = 1 << 24;

/** The widest activation's values per latent element. */
export function widestValues(profile: DecoderProfile): number {
  return Math.max(0, ...profile.convs.map((c) => c.values));
}

/**
 * Peak memory (bytes) of decoding `area` latent elements in one run of the decoder's own graph:
 * its widest activations plus the attention's scores. As exported, each attention holds its full
 * score matrix, which grows with the square of the area; in slices, a slice's share of it;
 * fused (FlashAttention), only blocks of a few kilobytes, counted as none.
 */
export function wholeDecodeBytes(profile: DecoderProfile, area: number): number {
  const full = profile.attentions.reduce((sum, q) => sum + (area * q) ** 2, 0);
  const form = profile.wholeAttention ?? "exported";
  const scores = form === "fused" ? 0 : form === "sliced" ? full / ATTENTION_SLICES : full;
  return profile.elementBytes * (LIVE_ACTIVATIONS * widestValues(profile) * area + SCORE_COPIES * scores);
}

/**
 * Peak memory (bytes) of one staged tile's runs: each convolution runs on the tile's core grown
 * by its reach (`grownArea`), and an attention holds at most ATTENTION_SCORES scores (its
 * queries are run in slices against the whole canvas). Not counted: the values every tile keeps across
 * the steps, about two full-resolution activations of the whole canvas (staged-decoder.ts).
 */
export function stagedTileBytes(profile: DecoderProfile, grownArea: (reach: number) => number): number {
  const activations = Math.max(0, ...profile.convs.map((c) => c.values * grownArea(c.reach)));
  return profile.elementBytes * (LIVE_ACTIVATIONS * activations + (profile.attentions.length > 0 ? SCORE_COPIES * ATTENTION_SCORES : 0));
}

/**
 * The profile of a diffusers AutoencoderKL decoder (Stable Diffusion's VAE) from its config:
 * `blockChannels` is `block_out_channels` (SD 1.5: 128, 256, 512, 512), `layers` is
 * `layers_per_block` (the decoder has one ResNet more per block). Convolutions in graph order:
 * post_quant_conv, conv_in, the mid block's ResNets (around its attention), each up block's
 * ResNets (conv1, conv2, then the 1x1 shortcut where the channels change) and upsampler, conv_out.
 */
export function autoencoderKlProfile(blockChannels: readonly number[], layers: number, latentChannels = 4, elementBytes = 4): DecoderProfile {
  const top = blockChannels.at(-1)!;
  const ups = blockChannels.length - 1;
  // Forward, with for each conv the index of the conv whose input reach it shares (a shortcut reads its ResNet's input).
  const convs: { cin: number; cout: number; kernel: number; scale: number; sameInputAs?: number }[] = [
    { cin: latentChannels, cout: latentChannels, kernel: 1, scale: 1 },
    { cin: latentChannels, cout: top, kernel: 3, scale: 1 },
  ];
  const resnet = (cin: number, cout: number, scale: number) => {
    const first = convs.length;
    convs.push({ cin, cout, kernel: 3, scale }, { cin: cout, cout, kernel: 3, scale });
    if (cin !== cout) convs.push({ cin, cout, kernel: 1, scale, sameInputAs: first });
  };
  resnet(top, top, 1);
  resnet(top, top, 1);
  let channels = top;
  [...blockChannels].reverse().forEach((out, i) => {
    for (let r = 0; r <= layers; r++) resnet(r === 0 ? channels : out, out, 2 ** i);
    channels = out;
    if (i < ups) convs.push({ cin: out, cout: out, kernel: 3, scale: 2 ** (i + 1) });
  });
  convs.push({ cin: channels, cout: 3, kernel: 3, scale: 2 ** ups });
  // Backward from the output: each 3x3 conv on the main path adds its radius at its resolution.
  const reach = new Array<number>(convs.length);
  let r = 0;
  for (let i = convs.length - 1; i >= 0; i--) {
    const c = convs[i]!;
    if (c.sameInputAs !== undefined) continue;
    r += (c.kernel - 1) / 2 / c.scale;
    reach[i] = r;
  }
  convs.forEach((c, i) => c.sameInputAs !== undefined && (reach[i] = reach[c.sameInputAs]!));
  return {
    elementBytes,
    convs: convs.map((c, i) => ({ cost: c.cout * c.cin * c.kernel * c.kernel * c.scale ** 2, values: Math.max(c.cin, c.cout) * c.scale ** 2, reach: Math.ceil(reach[i]! - 1e-9) })),
    attentions: [1],
  };
}

/** For decoders whose graph cannot be read: SD 1.5's (float32), the common case and a wide one. */
export const SD15_DECODER_PROFILE = autoencoderKlProfile([128, 256, 512, 512], 2);
