import { intAttribute, rewriteAttentions } from "./attention-pattern.js";

/**
 * How many slices of the queries each attention is cut into. Memory for one attention's scores
 * is divided by this; every slice adds nodes, and ONNX Runtime's graph optimisation time grows
 * faster than their number. Measured on the tiny SD 1.5 UNet, one region, 2 steps, peak RSS at 256²
 * and 640² (bench/attention-memory.ts), and the model's load time: unsliced 494 MB and 11.3 GB,
 * 0.4 s; 32 slices 246 and 915 MB (ratio 3.7), 0.8 s; 64 slices 255 and 755 MB (3.0); 128 slices
 * 265 and 686 MB (2.6), but 6.3 s. 32 keeps loading fast; the speed per step is the same within
 * 10 % for all (and 3x faster than unsliced at 640²).
 */
export const ATTENTION_SLICES = 32;

/**
 * A UNet's ModelProto bytes with every attention `softmax(Q·Kᵀ)·V` computed in slices of the
 * queries, or undefined when the graph has none.
 *
 * torch's ONNX export of `scaled_dot_product_attention` (what diffusers' UNets call) writes the
 * full score matrix, [batch, heads, queries, keys] floats per attention: its memory grows with the
 * square of the tile's area. The softmax runs along the keys, so each query row is independent:
 * `Q` is sliced along the query axis (the one before last) into {@link ATTENTION_SLICES} parts,
 * each part runs MatMul → Softmax → MatMul, and the results are concatenated (Q is first padded
 * with zero rows to a multiple of the slices, and the output cut back). The arithmetic per
 * row is unchanged, though the matrix kernels may round some last bits differently for slices of a
 * few rows (a 128² render of the tiny SD 1.5 UNet: 2e-6 relative L2; every conformance case still
 * passes), and ONNX Runtime frees each slice's scores before the next, so the live score memory is a
 * slice's. Slice sizes are computed from Q's shape at run time (`ceil(queries / slices)` rows
 * each), so any tile size works. The pattern is attention-pattern.ts's.
 *
 * A graph with float16 inputs is left as exported: on the CPU its 128 slices per attention made a
 * 2-step 256² render of the tiny fp16 UNet take 42 s instead of 4 s; whether slicing pays for
 * float16 on a GPU is still to be measured. On the CPU, fused-attention.ts does better than slices
 * (bench/attention-memory.ts).
 */
export function slicedAttentionModel(bytes: Uint8Array, slices = ATTENTION_SLICES): Uint8Array | undefined {
  return rewriteAttentions(bytes, ({ queries, keysTransposed, values, output, softmaxAttributes }, g) => {
    const axis = g.int64(-2);
    const sliceCount = g.int64(slices);
    // chunk = ceil(queries / slices), from Q's shape at run time. Q gets zero rows up to
    // slices · chunk, so that no slice is empty (WebGPU cannot dispatch an empty Softmax); the
    // output loses them again.
    const shape = g.node("Shape", [queries], "shape");
    const rows = g.node("Gather", [shape, axis], "rows");
    const chunk = g.node("Div", [g.node("Add", [rows, g.int64(slices - 1)], "rows_up"), sliceCount], "chunk");
    const padRows = g.node("Sub", [g.node("Mul", [chunk, sliceCount], "padded_rows"), rows], "pad_rows");
    const padShape = g.node("Concat", [g.node("Slice", [shape, g.int64(0), axis], "lead"), padRows, g.node("Slice", [shape, g.int64(-1), g.int64(Number.MAX_SAFE_INTEGER)], "width")], "pad_shape", {
      attributes: [intAttribute("axis", 0)],
    });
    const padded = g.node("Concat", [queries, g.node("Expand", [g.float(0), padShape], "pad")], "padded", { attributes: [intAttribute("axis", -2)] });
    const bounds = Array.from({ length: slices + 1 }, (_, i) => g.node("Mul", [chunk, g.int64(i)], `bound${i}`));
    const parts = bounds.slice(0, slices).map((start, i) => {
      const q = g.node("Slice", [padded, start, bounds[i + 1]!, axis], `q${i}`);
      const s = g.node("MatMul", [q, keysTransposed], `scores${i}`);
      const w = g.node("Softmax", [s], `weights${i}`, { attributes: softmaxAttributes });
      return g.node("MatMul", [w, values], `out${i}`);
    });
    const joined = g.node("Concat", parts, "joined", { attributes: [intAttribute("axis", -2)] });
    g.node("Slice", [joined, g.int64(0), rows, axis], "unpad", { output });
  });
}
