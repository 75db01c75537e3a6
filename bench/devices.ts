/**
 * Milliseconds per UNet call, and per step, on each execution provider this machine has: the CPU;
 * WebGPU through the system's Vulkan driver, or else through SwiftShader (the software driver in
 * Debian's chromium package, marked as software: the GPU code path at far below GPU speed); CUDA
 * when its provider is installed. The model is the tiny SD 1.5 UNet of ../shared/conformance
 * (skipped without it), at latent sizes 8², 16² and 32² (64 to 256 pixels), batch 2 (one region
 * with classifier-free guidance: one step's work).
 *
 * Also the bytes each call moves between host and device: onnxruntime-node has no GPU-resident
 * tensors (`preferredOutputLocation: "gpu-buffer"` exists in ONNX Runtime Web only), so every call
 * uploads its inputs and downloads its output.
 *
 * Each provider runs in its own child process (`node dist/bench/devices.js PROVIDER SIZE`), since
 * the Vulkan driver is chosen by environment variables read when the process starts. A software
 * adapter skips 32² (about 70 s a call) unless SCENEC_BENCH_FULL=1. Writes bench/results/devices.json.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import ort from "onnxruntime-node";
import { chooseDevice, type DeviceRequest } from "../src/runtime/model/device.js";
import { environment, repoRoot, summarize, table, writeResult, type Benchmark } from "./harness.js";

const SIZES = [8, 16, 32];
const BATCH = 2;
const SEQUENCE = 77;
const HIDDEN = 32;
const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";
const unetPath = () => resolve(repoRoot(), "../shared/conformance/models/tiny-sd15/unet/model.onnx");

interface ChildResult {
  firstMs: number;
  medianMs: number;
  runs: number;
}

/** In the child: a session on `provider`, one untimed first call (shader compilation), then timed calls. */
async function child(provider: "cpu" | "webgpu" | "cuda", size: number): Promise<ChildResult> {
  const session = await ort.InferenceSession.create(unetPath(), { executionProviders: provider === "cpu" ? ["cpu"] : [provider, "cpu"], logSeverityLevel: 3 });
  const feeds = {
    sample: new ort.Tensor("float32", new Float32Array(BATCH * 4 * size * size).fill(0.5), [BATCH, 4, size, size]),
    timestep: new ort.Tensor("float32", new Float32Array(BATCH).fill(500), [BATCH]),
    encoder_hidden_states: new ort.Tensor("float32", new Float32Array(BATCH * SEQUENCE * HIDDEN).fill(0.1), [BATCH, SEQUENCE, HIDDEN]),
  };
  let start = performance.now();
  await session.run(feeds);
  const firstMs = performance.now() - start;
  const samples: number[] = [];
  const budget = performance.now() + 10_000;
  while (samples.length < 3 || (performance.now() < budget && samples.length < 50)) {
    start = performance.now();
    await session.run(feeds);
    samples.push(performance.now() - start);
  }
  await session.release();
  return { firstMs, medianMs: summarize(samples).medianMs, runs: samples.length };
}

/** How WebGPU can run here: the environment of a child that should get an adapter, and whether it is software. */
async function webgpuSetup(): Promise<{ env: NodeJS.ProcessEnv; label: string; software: boolean } | undefined> {
  const native = await chooseDevice("webgpu", {});
  if (native.device === "webgpu") return { env: process.env, label: native.description, software: native.software };
  if (!existsSync(SWIFTSHADER)) return undefined;
  const env = { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER, XDG_RUNTIME_DIR: process.env["XDG_RUNTIME_DIR"] ?? "/tmp", LD_LIBRARY_PATH: [process.env["LD_LIBRARY_PATH"], "/usr/lib/chromium"].filter(Boolean).join(":") };
  const soft = await chooseDevice("webgpu", { env });
  return soft.device === "webgpu" ? { env, label: soft.description, software: true } : undefined;
}

export const benchmark: Benchmark = {
  name: "devices",
  async run() {
    if (!existsSync(unetPath())) {
      console.log(`skipped: ${unetPath()} is absent (../shared/conformance)`);
      return;
    }
    const script = fileURLToPath(import.meta.url);
    const full = process.env["SCENEC_BENCH_FULL"] === "1";
    const providers: { name: DeviceRequest & ("cpu" | "webgpu" | "cuda"); label: string; env: NodeJS.ProcessEnv; software: boolean }[] = [{ name: "cpu", label: "cpu", env: process.env, software: false }];
    const webgpu = await webgpuSetup();
    if (webgpu) providers.push({ name: "webgpu", ...webgpu });
    else console.log("webgpu: no adapter (no Vulkan driver, and no SwiftShader from chromium)");
    const cuda = await chooseDevice("cuda");
    if (cuda.device === "cuda") providers.push({ name: "cuda", label: "cuda", env: process.env, software: false });

    const rows: string[][] = [];
    const report: Record<string, unknown>[] = [];
    for (const provider of providers) {
      for (const size of SIZES) {
        if (provider.software && size > 16 && !full) continue;
        const result = spawnSync(process.execPath, [script, provider.name, String(size)], { env: provider.env, encoding: "utf8", timeout: 15 * 60_000, maxBuffer: 1 << 20 });
        const line = result.stdout.trim().split("\n").pop() ?? "";
        let measured: ChildResult;
        try {
          measured = JSON.parse(line) as ChildResult;
        } catch {
          console.log(`${provider.name} ${size}²: failed (${(result.stderr || result.error?.message || `status ${result.status}`).split("\n")[0]})`);
          continue;
        }
        // Per call: sample and hidden states up, the prediction down (float32).
        const upload = 4 * (BATCH * 4 * size * size + BATCH * SEQUENCE * HIDDEN + BATCH);
        const download = 4 * BATCH * 4 * size * size;
        rows.push([provider.label, provider.software ? "software" : "", `${size}²`, measured.firstMs.toFixed(0), measured.medianMs.toFixed(1), ((upload + download) / 1024).toFixed(1)]);
        report.push({ provider: provider.name, description: provider.label, software: provider.software, latentSize: size, batch: BATCH, ...measured, msPerStep: measured.medianMs, hostDeviceBytesPerCall: upload + download });
      }
    }
    console.log(table(["provider", "adapter", "latents", "first call ms", "ms / call (= step)", "host<->device kB / call"], rows));
    console.log("a step is one call here (one region, batch 2 for guidance); first call includes shader compilation");
    console.log(`wrote ${writeResult("devices", { environment: environment(), results: report })}`);
  },
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv.length === 4) {
  const [provider, size] = process.argv.slice(2) as ["cpu" | "webgpu" | "cuda", string];
  process.stdout.write(`${JSON.stringify(await child(provider, Number(size)))}\n`);
}

