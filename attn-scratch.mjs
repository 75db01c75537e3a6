// Experiment: slice attention along the query axis into K chunks.
import onnxProto from "onnx-proto";
import fs from "node:fs";
const { onnx } = onnxProto;
const K = Number(process.argv[3] ?? 8);
const m = onnx.ModelProto.decode(fs.readFileSync("/work/shared/conformance/models/tiny-sd15/unet/model.onnx"));
const g = m.graph;
const byOut = new Map(); for (const n of g.node) for (const o of n.output) byOut.set(o, n);
const consumers = new Map(); for (const n of g.node) for (const i of n.input) { if (!consumers.has(i)) consumers.set(i, []); consumers.get(i).push(n); }
const int64 = (name, vals) => onnx.TensorProto.create({ name, dataType: 7, dims: [vals.length], int64Data: vals.map(v => v) });
g.initializer.push(int64("attn_axis2", [2]), int64("attn_idx2", [2]), int64("attn_K", [K]), int64("attn_Km1", [K - 1]), int64("attn_one", [1]));
let count = 0;
const newNodes = [];
const removed = new Set();
for (const sm of g.node.filter(n => n.opType === "Softmax")) {
  const qk = byOut.get(sm.input[0]); const cons = consumers.get(sm.output[0]) ?? [];
  if (qk?.opType !== "MatMul" || cons.length !== 1 || cons[0].opType !== "MatMul" || cons[0].input[0] !== sm.output[0]) continue;
  const pv = cons[0];
  const [A, B] = qk.input; const V = pv.input[1]; const out = pv.output[0];
  const p = `attnslice${count++}`;
  const N = (op, inputs, outputs, attrs = []) => newNodes.push({ at: pv, node: onnx.NodeProto.create({ opType: op, input: inputs, output: outputs, name: `${p}_${newNodes.length}`, attribute: attrs }) });
  N("Shape", [A], [`${p}_shape`]);
  N("Gather", [`${p}_shape`, "attn_idx2"], [`${p}_S`], [onnx.AttributeProto.create({ name: "axis", type: 2, i: 0 })]);
  N("Add", [`${p}_S`, "attn_Km1"], [`${p}_Sp`]);
  N("Div", [`${p}_Sp`, "attn_K"], [`${p}_chunk`]);
  const parts = [];
  for (let i = 0; i < K; i++) {
    g.initializer.push(int64(`${p}_i${i}`, [i]), int64(`${p}_j${i}`, [i + 1]));
    N("Mul", [`${p}_chunk`, `${p}_i${i}`], [`${p}_st${i}`]);
    N("Mul", [`${p}_chunk`, `${p}_j${i}`], [`${p}_en${i}`]);
    N("Slice", [A, `${p}_st${i}`, `${p}_en${i}`, "attn_axis2"], [`${p}_a${i}`]);
    N("MatMul", [`${p}_a${i}`, B], [`${p}_s${i}`]);
    N("Softmax", [`${p}_s${i}`], [`${p}_p${i}`], sm.attribute);
    N("MatMul", [`${p}_p${i}`, V], [`${p}_o${i}`]);
    parts.push(`${p}_o${i}`);
  }
  N("Concat", parts, [out], [onnx.AttributeProto.create({ name: "axis", type: 2, i: 2 })]);
  removed.add(qk); removed.add(sm); removed.add(pv);
}
const nodes = [];
for (const n of g.node) {
  if (removed.has(n)) { for (const x of newNodes.filter(e => e.at === n)) nodes.push(x.node); continue; }
  nodes.push(n);
}
g.node = nodes;
fs.writeFileSync(process.argv[2], onnx.ModelProto.encode(m).finish());
console.log("rewrote", count, "attentions, K =", K);
