import ort from "onnxruntime-node";
const size = Number(process.env.S ?? 8);
const ep = process.env.EP ?? "webgpu";
let t0 = Date.now();
const s = await ort.InferenceSession.create("/work/shared/conformance/models/tiny-sd15/unet/model.onnx", { executionProviders: [ep], logSeverityLevel: 3 });
console.log(ep, "created", Date.now() - t0, "ms");
for (let k = 0; k < 3; k++) {
  t0 = Date.now();
  const out = await s.run({ sample: new ort.Tensor("float32", new Float32Array(2 * 4 * size * size).fill(0.5), [2, 4, size, size]), timestep: new ort.Tensor("float32", new Float32Array([500, 500]), [2]), encoder_hidden_states: new ort.Tensor("float32", new Float32Array(2 * 77 * 32).fill(0.1), [2, 77, 32]) });
  console.log(ep, size, "run", Date.now() - t0, "ms", out.out_sample.data[5]);
}
