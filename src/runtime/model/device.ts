/**
 * Which ONNX Runtime execution provider a model runs on, and why: `--device auto|cpu|webgpu|cuda`.
 *
 * - `webgpu`: ONNX Runtime's WebGPU provider, bundled in onnxruntime-node (Dawn on Vulkan on
 *   Linux, Metal on macOS, D3D12 on Windows): the GPU with nothing to install beyond its driver.
 * - `cuda`: the CUDA provider, which the user installs (README, GPU); only when asked for.
 * - `auto` (the default): WebGPU when an adapter exists, else the CPU.
 *
 * Whether WebGPU has an adapter is asked of a child process (PROBE_SCRIPT): Dawn writes its own
 * warnings straight to the process's stderr, where no JavaScript can hold them back, and a broken
 * driver may bring its process down. The child's stderr is shown only when the caller asks
 * (`--verbose`). On Linux the probe runs only where a Vulkan loader and a driver manifest exist,
 * so a machine without either answers at once, without a child.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { OnnxGraph } from "../onnx/onnx-graph.js";

import type { Device, DeviceRequest } from "./device-request.js";

export { DEVICE_REQUESTS, type Device, type DeviceRequest } from "./device-request.js";

export type Providers = ort.InferenceSession.SessionOptions["executionProviders"];

export interface DeviceChoice {
  device: Device;
  providers: Providers;
  /** One line for the user: what was chosen and why (`webgpu (Vulkan driver: SwiftShader, a software renderer)`). */
  description: string;
  /** True for a software GPU (SwiftShader, lavapipe): the real code path, at CPU speed or less. */
  software: boolean;
}

export interface DeviceOptions {
  /** Something the user should know: a device asked for is not available, and the fallback. */
  onWarning?: (message: string) => void;
  /** The probe's own stderr (Dawn's and ONNX Runtime's messages), for `--verbose`. */
  onDiagnostics?: (text: string) => void;
  /** The environment the probe sees (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export const CUDA_INSTALL_HINT = "ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install";

/** The CPU, and why (undefined: it was asked for). */
export function cpuDevice(why?: string): DeviceChoice {
  return { device: "cpu", providers: ["cpu"], description: why === undefined ? "cpu" : `cpu: ${why}`, software: false };
}

export async function chooseDevice(request: DeviceRequest, options: DeviceOptions = {}): Promise<DeviceChoice> {
  if (request === "cpu") return cpuDevice();
  if (request === "cuda") return cudaDevice(options.onWarning);
  const webgpu = await probeWebgpu(options);
  if (webgpu.ok) {
    const through = webgpu.driver ? `, through ${webgpu.driver}` : "";
    return {
      device: "webgpu",
      // Nodes the WebGPU provider has no kernel for run on the CPU provider, within the same session.
      providers: ["webgpu", "cpu"],
      description: `webgpu${through}${request === "auto" ? "; --device auto found a WebGPU adapter" : ""}`,
      software: webgpu.software,
    };
  }
  if (request === "webgpu") options.onWarning?.(`WebGPU is not available (${webgpu.why}); rendering on the CPU`);
  return cpuDevice(request === "auto" ? `--device auto found no WebGPU adapter (${webgpu.why})` : "WebGPU is not available");
}

/** CUDA when its provider is installed and loads, else the CPU with a message that says how to get it. */
async function cudaDevice(onWarning?: (message: string) => void): Promise<DeviceChoice> {
  const backend = ort.listSupportedBackends?.().find((b) => b.name === "cuda");
  if (!backend) {
    onWarning?.(`CUDA is not available: this platform's ONNX Runtime (${process.platform}/${process.arch}) has no CUDA provider; rendering on the CPU`);
    return cpuDevice("CUDA is not available");
  }
  // Probe: creating a session with the CUDA provider throws when its libraries are missing.
  // ORT's default logger would also print that failure (in red) on stderr; the warning says it.
  ort.env.logLevel = "fatal";
  try {
    const probe = await ort.InferenceSession.create(probeModel(), { executionProviders: [{ name: "cuda", deviceId: 0 }], logSeverityLevel: 4 });
    await probe.release();
    return { device: "cuda", providers: [{ name: "cuda", deviceId: 0 }, "cpu"], description: "cuda", software: false };
  } catch (error) {
    onWarning?.(`CUDA is not available (${firstLine((error as Error).message)}); rendering on the CPU. To use an NVIDIA GPU, install ONNX Runtime's CUDA provider: ${CUDA_INSTALL_HINT} (needs CUDA 12 and cuDNN 9)`);
    return cpuDevice("CUDA is not available");
  }
}

/** The smallest valid model (Identity on a float), to probe an execution provider. */
export function probeModel(): Uint8Array {
  const g = new OnnxGraph("scenec_probe");
  g.rename(g.input("x", "float32", [1]), "y");
  g.output("y", "float32", [1]);
  return g.build({ opset: 14 }).model;
}

type Probe = { ok: true; driver: string | undefined; software: boolean } | { ok: false; why: string };

/** What the probe prints: one JSON line. */
type ProbeReport = { ok: true } | { ok: false; error: string };

/**
 * The probe, run by `node --input-type=module -e` with onnxruntime-node's URL and the probe model
 * (base64) as arguments: can the WebGPU provider get an adapter and run a model? Inline rather than
 * a file of its own so that it runs the same from dist/ and from the sources under test.
 */
const PROBE_SCRIPT = `
const [ortUrl, model] = process.argv.slice(1);
let report;
try {
  const ort = (await import(ortUrl)).default;
  const session = await ort.InferenceSession.create(Buffer.from(model, "base64"), { executionProviders: ["webgpu"], logSeverityLevel: 3 });
  const out = await session.run({ x: new ort.Tensor("float32", Float32Array.of(3), [1]) });
  await session.release();
  const y = out.y?.data?.[0];
  report = y === 3 ? { ok: true } : { ok: false, error: "the WebGPU provider computed " + y + " for 3" };
} catch (error) {
  report = { ok: false, error: String(error?.message ?? error) };
}
process.stdout.write(JSON.stringify(report) + "\\n");
`;

/** The probe's time limit: a first WebGPU device on a software driver takes about a second. */
const PROBE_TIMEOUT_MS = 30_000;

async function probeWebgpu(options: DeviceOptions): Promise<Probe> {
  if (!ort.listSupportedBackends?.().some((b) => b.name === "webgpu" && b.bundled)) return { ok: false, why: `this platform's ONNX Runtime (${process.platform}/${process.arch}) has no WebGPU provider` };
  const env = options.env ?? process.env;
  const driver = process.platform === "linux" ? vulkanDriver(env) : { found: true as const, name: undefined, software: false };
  if (!driver.found) return { ok: false, why: driver.why };
  const args = ["--input-type=module", "-e", PROBE_SCRIPT, import.meta.resolve("onnxruntime-node"), Buffer.from(probeModel()).toString("base64")];
  const report = await new Promise<ProbeReport>((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), PROBE_TIMEOUT_MS);
    child.on("error", (error) => resolve({ ok: false, error: error.message }));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (stderr) options.onDiagnostics?.(stderr);
      const line = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as ProbeReport);
      } catch {
        resolve({ ok: false, error: signal ? `the probe was ended by ${signal}` : `the probe exited with status ${code}` });
      }
    });
  });
  if (!report.ok) return { ok: false, why: shortReason(report.error) };
  return { ok: true, driver: driver.name, software: driver.software };
}

/** Dawn's "Failed to get a WebGPU adapter: No support" behind ORT's source location, as a short reason. */
function shortReason(error: string): string {
  const adapter = /Failed to get a WebGPU adapter[^\n]*/.exec(error)?.[0];
  return adapter ?? firstLine(error.replace(/^\/\S+:\d+ \S+ /, ""));
}

type Driver = { found: true; name: string | undefined; software: boolean } | { found: false; why: string };

const LIBRARY_DIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/lib64", "/lib", "/usr/local/lib"];
const ICD_DIRS = ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d"];
/** Drivers that render on the CPU. */
const SOFTWARE_DRIVERS: [RegExp, string][] = [
  [/swiftshader/i, "SwiftShader"],
  [/lvp|lavapipe/i, "lavapipe"],
];

/**
 * Whether Dawn can find a Vulkan driver: the loader (libvulkan.so.1, where the dynamic linker
 * looks, LD_LIBRARY_PATH first) and at least one driver manifest (VK_ICD_FILENAMES /
 * VK_DRIVER_FILES, else the standard icd.d folders).
 */
export function vulkanDriver(env: NodeJS.ProcessEnv): Driver {
  const libraryDirs = [...(env["LD_LIBRARY_PATH"] ?? "").split(":").filter(Boolean), ...LIBRARY_DIRS];
  if (!libraryDirs.some((dir) => existsSync(path.join(dir, "libvulkan.so.1")))) return { found: false, why: "no Vulkan loader (libvulkan.so.1) is installed" };
  const listed = (env["VK_DRIVER_FILES"] ?? env["VK_ICD_FILENAMES"] ?? "").split(":").filter(Boolean);
  const manifests = listed.length
    ? listed.filter((file) => existsSync(file))
    : [...ICD_DIRS, ...(env["XDG_DATA_HOME"] ? [path.join(env["XDG_DATA_HOME"], "vulkan/icd.d")] : [])].flatMap((dir) => {
        try {
          return readdirSync(dir)
            .filter((f) => f.endsWith(".json"))
            .map((f) => path.join(dir, f));
        } catch {
          return [];
        }
      });
  if (manifests.length === 0) return { found: false, why: listed.length ? `the Vulkan driver manifest ${listed.join(", ")} does not exist` : "no Vulkan driver is installed" };
  const software = manifests.length > 0 && manifests.every((m) => SOFTWARE_DRIVERS.some(([pattern]) => pattern.test(path.basename(m))));
  const names = manifests.map((m) => SOFTWARE_DRIVERS.find(([pattern]) => pattern.test(path.basename(m)))?.[1] ?? path.basename(m, ".json"));
  return { found: true, name: `Vulkan (${[...new Set(names)].join(", ")}${software ? ", a software renderer" : ""})`, software };
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.slice(0, 200);
}
