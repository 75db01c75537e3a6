import { floatAttribute, intAttribute, intsAttribute, rewriteAttentions } from "./attention-pattern.js";

/**
 * A model's ModelProto bytes with every attention `softmax(Q·Kᵀ)·V` computed by ONNX Runtime's
 * fused `com.microsoft.MultiHeadAttention`, or undefined when the graph has none (or is float16).
 *
 * On the CPU that operator runs float32 attention as FlashAttention (MLAS): blocks of queries
 * against blocks of keys with a running softmax, so the score matrix — [batch, heads, queries,
 * keys] floats in the exported graph, growing with the square of the tile's area — never exists.
 * The pattern (attention-pattern.ts) sees attention after the heads are split: Q [..., S, d],
 * Kᵀ [..., d, L], V [..., L, dv], already scaled. So every leading axis (batch and heads) becomes
 * the operator's batch, with one head of size d and a scale of 1: Q and V are reshaped to
 * [-1, S, d] and [-1, L, dv], Kᵀ to [-1, d, L] and transposed, and the output [-1, S, dv] is
 * reshaped back to Q's leading axes.
 *
 * For the CPU only: other execution providers run this operator differently (or not at all), and
 * keep the slices of sliced-attention.ts.
 */
export function fusedAttentionModel(bytes: Uint8Array): Uint8Array | undefined {
  return rewriteAttentions(
    bytes,
    ({ queries, keysTransposed, values, output }, g) => {
      const end = g.int64(Number.MAX_SAFE_INTEGER);
      const lastTwo = (value: string, name: string) => g.node("Slice", [g.node("Shape", [value], `${name}_shape`), g.int64(-2), end], `${name}_tail`);
      const flat = (value: string, name: string) =>
        g.node("Reshape", [value, g.node("Concat", [g.int64(-1), lastTwo(value, name)], `${name}_flat_shape`, { attributes: [intAttribute("axis", 0)] })], `${name}_flat`);
      const q = flat(queries, "q");
      const k = g.node("Transpose", [flat(keysTransposed, "kt")], "k", { attributes: [intsAttribute("perm", [0, 2, 1])] });
      const v = flat(values, "v");
      const attended = g.node("MultiHeadAttention", [q, k, v], "fused", { domain: "com.microsoft", attributes: [intAttribute("num_heads", 1), floatAttribute("scale", 1)] });
      // Back to [..., S, dv]: Q's shape but for its last axis, which is V's.
      const qShape = g.node("Shape", [queries], "q_full_shape");
      const outShape = g.node(
        "Concat",
        [g.node("Slice", [qShape, g.int64(0), g.int64(-1)], "lead"), g.node("Slice", [g.node("Shape", [values], "v_full_shape"), g.int64(-1), end], "v_width")],
        "out_shape",
        { attributes: [intAttribute("axis", 0)] },
      );
      g.node("Reshape", [attended, outShape], "out", { output });
    },
    ["com.microsoft"],
  );
}
