import type { Device } from "../model/device-request.js";
import { rewriteAttentions } from "./attention-pattern.js";
import { fusedAttentionModel } from "./fused-attention.js";
import { rewriteIdentity, type Rewrite } from "./graph-rewrite.js";
import { ATTENTION_SLICES, slicedAttentionModel } from "./sliced-attention.js";

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

/** The graph rewrite of each form; `exported` leaves the graph as it is. */
export const ATTENTION_REWRITES: Record<AttentionForm, Rewrite | undefined> = {
  fused: { identity: rewriteIdentity("fused-attention", [fusedAttentionModel, rewriteAttentions]), apply: fusedAttentionModel },
  sliced: { identity: rewriteIdentity("sliced-attention", [slicedAttentionModel, rewriteAttentions], ATTENTION_SLICES), apply: (model) => slicedAttentionModel(model) },
  exported: undefined,
};
