import { OnnxGraph } from "../onnx/onnx-graph.js";
import { LATENT_RGB_FACTORS, RGB_LATENT_FACTORS } from "../latent-rgb.js";
import type { ModelSignature } from "./signature.js";
import { ATTR, ATTRIBUTE_DIM, COLOUR_GAIN, NEUTRAL_COLOUR_WEIGHT, NEUTRAL_TEXTURE, NEUTRAL_TEXTURE_WEIGHT, TEXTURE_CHANNEL_AMPLITUDE } from "./attributes.js";

/**
 * The built-in UNet: the exact denoiser for the prompt's Gaussian prior.
 *
 * For a prompt, latents are z = μ + f with f a stationary Gaussian field, independent per channel,
 * of power spectrum P_c(k) = (A·b_c)² · S(k). The sampler hands the UNet the variance-preserving
 * sample x = a·z + s·ε (a = 1/√(σ²+1), s = σ·a), and the minimum-mean-square estimate of ε is,
 * per channel and frequency (a Wiener filter):
 *
 *     ε̂(k) = s · (X(k) − a·μ̂(k)) / (a²·P(k) + s²)
 *
 * computed in the crop's cosine basis (a DCT as two matrix products per axis: the Fourier filter of
 * the crop mirrored at its edges, so opposite edges do not bleed into each other). σ comes from the
 * timestep by linear interpolation in the training schedule's sigma table, exactly as the
 * schedulers interpolate it. S is a Gaussian bump of correlation lengths (ℓx, ℓy), normalised to
 * unit mean power, mixed with white grain: S = (1−g)·Ŝ + g.
 *
 * Calibration: classifier-free guidance at scale w between two exact Gaussian denoisers yields
 * (along the probability-flow ODE) a mean μ_n + w·(μ_p − μ_n) and a power P_n^(1−w)·P_p^w. So
 * the prompt's prior is placed a fraction GAIN = 1/7.5 of the way from the empty prompt's prior to
 * the target, linearly for the mean and geometrically for the power: at the usual guidance of
 * about 7.5 the picture shows the target colours and textures, and lower or higher guidance
 * gives paler or stronger versions, as with Stable Diffusion.
 */
export function buildUnet(sig: ModelSignature, sigmas: Float64Array): { model: Uint8Array; weights?: Uint8Array } {
  const g = new OnnxGraph("scenec_builtin_unet");
  const ft = sig.float;
  const sampleIn = g.input("sample", ft, ["batch", 4, "height", "width"]);
  const timestepIn = g.input("timestep", sig.timestep.type, sig.timestep.rank === 1 ? ["steps"] : []);
  const hiddenIn = g.input("encoder_hidden_states", ft, ["batch", "sequence", ATTRIBUTE_DIM]);
  const f32 = (x: string, type: string) => (type === "float32" ? x : g.node("Cast", [x], { to: 1 }));
  const x = f32(sampleIn, ft);
  const hidden = f32(hiddenIn, ft);

  // σ(t) by linear interpolation, then a and s, shaped [B', 1, 1, 1].
  const t = g.node("Clip", [g.node("Reshape", [f32(timestepIn, sig.timestep.type), g.ints([-1])]), g.scalar(0), g.scalar(sigmas.length - 1)]);
  const t0 = g.node("Floor", [t]);
  const frac = g.node("Sub", [t, t0]);
  const t1 = g.node("Min", [g.node("Add", [t0, g.scalar(1)]), g.scalar(sigmas.length - 1)]);
  const table = g.constant(Float32Array.from(sigmas), [sigmas.length]);
  const s0 = g.node("Gather", [table, g.node("Cast", [t0], { to: 7 })]);
  const s1 = g.node("Gather", [table, g.node("Cast", [t1], { to: 7 })]);
  const sigma = g.node("Add", [s0, g.node("Mul", [frac, g.node("Sub", [s1, s0])])]);
  const a1 = g.node("Reciprocal", [g.node("Sqrt", [g.node("Add", [g.node("Mul", [sigma, sigma]), g.scalar(1)])])]);
  const s1d = g.node("Mul", [sigma, a1]);
  const a = g.node("Reshape", [a1, g.ints([-1, 1, 1, 1])]);
  const s = g.node("Reshape", [s1d, g.ints([-1, 1, 1, 1])]);

  // The prompt's attributes: sums over its tokens, [B, D].
  const sum = g.node("ReduceSum", [hidden, g.ints([1])], { keepdims: 0 });
  const col = (from: number, to: number) => g.node("Slice", [sum, g.ints([from]), g.ints([to]), g.ints([1])]);
  const average = (value: number, weight: number, neutralValue: number, neutralWeight: number) =>
    g.node("Div", [g.node("Add", [col(value, value + 1), g.scalar(neutralValue * neutralWeight)]), g.node("Add", [col(weight, weight + 1), g.scalar(neutralWeight)])]);

  // Mean colour: weighted average of the colour words (towards grey, which is latent 0), then
  // saturation and brightness applied in RGB, with the latent's invisible component kept.
  const zc = g.node("Div", [col(ATTR.colour, ATTR.colour + 4), g.node("Add", [col(ATTR.colourWeight, ATTR.colourWeight + 1), g.scalar(NEUTRAL_COLOUR_WEIGHT)])]);
  const toRgb = g.constant(LATENT_RGB_FACTORS.flat(), [4, 3]);
  const toLatent = g.constant(RGB_LATENT_FACTORS.flat(), [3, 4]);
  const rgb = g.node("MatMul", [zc, toRgb]);
  const lum = g.node("ReduceMean", [rgb, g.ints([1])], { keepdims: 1 });
  const saturated = g.node("Add", [lum, g.node("Mul", [g.node("Exp", [col(ATTR.saturation, ATTR.saturation + 1)]), g.node("Sub", [rgb, lum])])]);
  const adjusted = g.node("Add", [saturated, col(ATTR.brightness, ATTR.brightness + 1)]);
  const z = g.node("Add", [zc, g.node("MatMul", [g.node("Sub", [adjusted, rgb]), toLatent])]);
  const mu = g.node("Reshape", [g.node("Mul", [z, g.scalar(COLOUR_GAIN)]), g.ints([-1, 4, 1, 1])]);

  // Texture: weighted averages towards the neutral texture, as logarithms.
  const logAmp = average(ATTR.logAmplitude, ATTR.textureWeight, Math.log(NEUTRAL_TEXTURE.amplitude), NEUTRAL_TEXTURE_WEIGHT);
  const lx = g.node("Exp", [average(ATTR.logAcross, ATTR.textureWeight, Math.log(NEUTRAL_TEXTURE.across), NEUTRAL_TEXTURE_WEIGHT)]);
  const ly = g.node("Exp", [average(ATTR.logDown, ATTR.textureWeight, Math.log(NEUTRAL_TEXTURE.down), NEUTRAL_TEXTURE_WEIGHT)]);
  const grain = g.node("Reshape", [average(ATTR.grain, ATTR.textureWeight, NEUTRAL_TEXTURE.grain, NEUTRAL_TEXTURE_WEIGHT), g.ints([-1, 1, 1])]);

  // The crop's cosine basis (orthonormal DCT-II, one matrix per axis) and its frequencies k / 2N in
  // cycles per latent pixel: filtering in this basis is the Fourier-domain filter applied to the
  // crop mirrored at its edges, so a crop's left and right sides never bleed into each other.
  const shape = g.node("Shape", [x]);
  const basis = (axis: number) => {
    const n = g.node("Gather", [shape, g.constant([axis], [], "int64")]);
    const nf = g.node("Cast", [n], { to: 1 });
    const idx = g.node("Cast", [g.node("Range", [g.constant([0], [], "int64"), n, g.constant([1], [], "int64")])], { to: 1 });
    const k = g.node("Unsqueeze", [idx, g.ints([1])]); // [N, 1]
    const m = g.node("Unsqueeze", [g.node("Add", [idx, g.scalar(0.5)]), g.ints([0])]); // [1, N]
    const angle = g.node("Div", [g.node("Mul", [g.node("Mul", [k, m]), g.scalar(Math.PI)]), nf]);
    // α_0 = √(1/N), α_k = √(2/N)
    const alpha = g.node("Sqrt", [g.node("Div", [g.node("Sub", [g.scalar(2), g.node("Cast", [g.node("Equal", [k, g.scalar(0)])], { to: 1 })]), nf])]);
    const matrix = g.node("Mul", [g.node("Cos", [angle]), alpha]); // [N(k), N(n)]
    return { matrix, transposed: g.node("Transpose", [matrix], { perm: [1, 0] }), f: g.node("Div", [idx, g.node("Mul", [nf, g.scalar(2)])]), nf };
  };
  const fy = basis(2);
  const fx = basis(3);
  const fx2 = g.node("Reshape", [g.node("Mul", [fx.f, fx.f]), g.ints([1, 1, -1])]);
  const fy2 = g.node("Reshape", [g.node("Mul", [fy.f, fy.f]), g.ints([1, -1, 1])]);
  const area = g.node("Mul", [fx.nf, fy.nf]);
  /** log S(k) for correlation lengths [B',1,1] (or scalars) and grain: a unit-mean Gaussian bump plus white grain. */
  const logShape = (across: string, down: string, white: string) => {
    const exponent = g.node("Mul", [g.node("Add", [g.node("Mul", [fx2, g.node("Mul", [across, across])]), g.node("Mul", [fy2, g.node("Mul", [down, down])])]), g.scalar(-2 * Math.PI * Math.PI)]);
    const bump = g.node("Exp", [exponent]);
    const normalised = g.node("Div", [g.node("Mul", [bump, area]), g.node("ReduceSum", [bump, g.ints([1, 2])], { keepdims: 1 })]);
    const mixed = g.node("Add", [g.node("Mul", [g.node("Sub", [g.scalar(1), white]), normalised]), white]);
    return g.node("Log", [g.node("Max", [mixed, g.scalar(1e-20)])]);
  };
  const shapeOf = (v: string) => g.node("Reshape", [v, g.ints([-1, 1, 1])]);
  const logTarget = g.node("Add", [logShape(shapeOf(lx), shapeOf(ly), grain), g.node("Mul", [shapeOf(logAmp), g.scalar(2)])]);
  const logNeutral = g.node("Add", [
    logShape(g.scalar(NEUTRAL_TEXTURE.across), g.scalar(NEUTRAL_TEXTURE.down), g.scalar(NEUTRAL_TEXTURE.grain)),
    g.scalar(2 * Math.log(NEUTRAL_TEXTURE.amplitude)),
  ]);
  // Calibrated for guidance: this prior's power is the neutral power times (target / neutral)^GAIN,
  // so that classifier-free guidance at 1/GAIN (which raises the power ratio to its power) lands
  // on the target texture, as it lands on the target colour.
  const logPower = g.node("Add", [g.node("Mul", [logNeutral, g.scalar(1 - COLOUR_GAIN)]), g.node("Mul", [logTarget, g.scalar(COLOUR_GAIN)])]);
  const channelPower = g.constant(TEXTURE_CHANNEL_AMPLITUDE.map((b) => b * b), [1, 4, 1, 1]);
  const power = g.node("Mul", [channelPower, g.node("Exp", [g.node("Unsqueeze", [logPower, g.ints([1])])])]); // [B,4,H,W]

  // Wiener filter on x − a·μ in the cosine basis: C_H · d · C_Wᵀ, scaled, then back.
  const s2 = g.node("Mul", [s, s]);
  const filter = g.node("Div", [s, g.node("Add", [g.node("Mul", [g.node("Mul", [a, a]), power]), s2])]);
  const centred = g.node("Sub", [x, g.node("Mul", [a, mu])]);
  const coefficients = g.node("MatMul", [g.node("MatMul", [fy.matrix, centred]), fx.transposed]);
  let eps = g.node("MatMul", [g.node("MatMul", [fy.transposed, g.node("Mul", [coefficients, filter])]), fx.matrix]);

  if (sig.prediction === "v_prediction") {
    // v = a·ε − s·x̂0 with x̂0 = (x − s·ε)/a, i.e. v = (ε − s·x)/a.
    eps = g.node("Div", [g.node("Sub", [eps, g.node("Mul", [s, x])]), a]);
  }
  const out = ft === "float32" ? eps : g.node("Cast", [eps], { to: 10 });
  g.rename(out, "out_sample");
  g.output("out_sample", ft, ["batch", 4, "height", "width"]);
  return g.build(sig.externalWeights ? { external: { location: sig.layout === "diffusers" ? "weights.pb" : "model.onnx_data", minBytes: 1024 } } : {});
}
