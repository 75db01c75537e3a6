import type { Device } from "../model/device-request.js";
import { fusedAttentionModel } from "./fused-attention.js";
import { slicedAttentionModel } from "./sliced-attention.js";

/**
 * How a loaded UNet computes attention: `fused` (ONNX Runtime's MultiHeadAttention, FlashAttention
 * on the CPU), `sliced` (in slices of the queries, for execution providers whose fused kernel is
 * not known to be memory-efficient), or `exported` (the graph as it is, full score matrices: for
 * benchmarks and tests to compare with).
 */
export const ATTENTION_FORMS = ["fused", "sliced", "exported"] as const;
export type AttentionForm = (typeof ATTENTION_FORMS)[number];

/** Fused on the CPU, where it was measured best (bench/attention-memory.ts); slices elsewhere. */
export function defaultAttentionForm(device: Device): AttentionForm {
  return device === "cpu" ? "fused" : "sliced";
}

/** The UNet graph rewrite for a form: undefined leaves the graph as exported. */
export function attentionRewrite(form: AttentionForm): ((model: Uint8Array) => Uint8Array | undefined) | undefined {
  if (form === "fused") return fusedAttentionModel;
  if (form === "sliced") return (model) => slicedAttentionModel(model);
  return undefined;
}
