/**
 * Emphasis, as Automatic1111's default ("Original", modules/sd_emphasis.py) applies it to one
 * encoder's output for one chunk: every token's embedding times its weight, then the whole
 * chunk rescaled so that its mean is the unweighted mean again:
 *
 *     z'[t, d] = z[t, d] · w[t] · mean(z) / mean(z · w)
 *
 * (means over all tokens and widths of the chunk). A1111 takes the two means over the batch
 * tensor it encodes — every prompt's chunk at that index at once — which makes a prompt's
 * encoding depend on what it is batched with; here they are each chunk's own, what A1111 gives
 * for a prompt encoded alone. The means are summed in float64.
 */

/** `states` ([tokens, width], one chunk) emphasised by `weights` ([tokens]); `states` itself when every weight is 1. */
export function emphasise(states: Float32Array, weights: Float32Array, width: number): Float32Array {
  if (weights.every((w) => w === 1)) return states;
  const out = new Float32Array(states.length);
  let before = 0;
  let after = 0;
  for (let t = 0; t < weights.length; t++) {
    const w = weights[t]!;
    for (let i = t * width; i < (t + 1) * width; i++) {
      const v = states[i]!;
      before += v;
      out[i] = v * w;
      after += out[i]!;
    }
  }
  // The sums stand for the means: both have the same count.
  const restore = before / after;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * restore;
  return out;
}
