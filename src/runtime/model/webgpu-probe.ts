/**
 * Run as a child process by device.ts: can ONNX Runtime's WebGPU provider get an adapter and run
 * a model here? Prints one JSON line (`ProbeReport`) on stdout; whatever Dawn and ONNX Runtime
 * write on stderr stays in the parent's hands.
 */
import ort from "onnxruntime-node";
import { probeModel, type ProbeReport } from "./device.js";

async function probe(): Promise<ProbeReport> {
  try {
    const session = await ort.InferenceSession.create(probeModel(), { executionProviders: ["webgpu"], logSeverityLevel: 3 });
    const out = await session.run({ x: new ort.Tensor("float32", Float32Array.of(3), [1]) });
    await session.release();
    const y = (out["y"]?.data as Float32Array | undefined)?.[0];
    return y === 3 ? { ok: true } : { ok: false, error: `the WebGPU provider computed ${y} for 3` };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

process.stdout.write(`${JSON.stringify(await probe())}\n`);
