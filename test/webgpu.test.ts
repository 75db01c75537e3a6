import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseNpy } from "../src/compiler/check/npy-file.js";
import { chooseDevice, vulkanDriver } from "../src/runtime/model/device.js";
import { CONFORMANCE_ROOT, relativeL2 } from "./helpers/conformance-cases.js";
import { psnr } from "./helpers/guide-helpers.js";
import { runScenec } from "./helpers/scenec-cli.js";

/**
 * The GPU path without a GPU: ONNX Runtime's WebGPU provider (Dawn on Vulkan) on SwiftShader, the
 * software Vulkan driver Debian's chromium package ships. A scene on the tiny SD 1.5 conformance
 * model renders with `--device webgpu` (and `--device auto` must pick WebGPU there and say so), and
 * its latents and picture must match a CPU render of the same scene.
 *
 * Tolerance: the WebGPU kernels compute in float32 like the CPU ones, with other summation orders
 * and fused operations, so results differ by rounding only: measured 8.4e-6 relative L2 on the
 * final latents of this scene (max 5e-4 absolute on values up to ~40). The bound, 1e-4, is 12x that
 * and still 300x below what a wrong kernel gives (a different step or prompt: > 3e-2). The pictures
 * differ by at most one level (84 dB PSNR); the bound is the conformance suite's, 60 dB.
 */

const ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
/** Where a Vulkan loader is: the system's, else the one chromium ships beside SwiftShader. */
const loaderDir = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/lib/chromium"].find((dir) => existsSync(path.join(dir, "libvulkan.so.1")));
const model = path.join(CONFORMANCE_ROOT, "models/tiny-sd15");
const ready = process.platform === "linux" && existsSync(ICD) && loaderDir !== undefined && existsSync(model);
if (!ready) console.log(`webgpu: needs SwiftShader (${ICD}, from Debian's chromium), a Vulkan loader and ${model}; the WebGPU render is skipped`);

const work = mkdtempSync(path.join(tmpdir(), "scenec-webgpu-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An environment where Vulkan finds no driver, whatever this machine has. */
const NO_DRIVER = { ...process.env, VK_ICD_FILENAMES: path.join(work, "no-such-driver.json"), VK_DRIVER_FILES: path.join(work, "no-such-driver.json") };

describe("choosing the device", () => {
  it("finds no Vulkan driver where the loader or the manifest is missing, and says which", () => {
    const lib = path.join(work, "lib");
    mkdirSync(lib, { recursive: true });
    writeFileSync(path.join(lib, "libvulkan.so.1"), "");
    const manifest = path.join(work, "vk_swiftshader_icd.json");
    writeFileSync(manifest, "{}");
    expect(vulkanDriver({ LD_LIBRARY_PATH: lib, VK_ICD_FILENAMES: manifest })).toEqual({ found: true, name: "Vulkan (SwiftShader, a software renderer)", software: true });
    expect(vulkanDriver({ LD_LIBRARY_PATH: lib, VK_ICD_FILENAMES: path.join(work, "gone.json") })).toEqual({ found: false, why: `the Vulkan driver manifest ${path.join(work, "gone.json")} does not exist` });
    const noLoader = vulkanDriver({ LD_LIBRARY_PATH: path.join(work, "empty"), VK_ICD_FILENAMES: manifest });
    if (!loaderDir) expect(noLoader).toEqual({ found: false, why: "no Vulkan loader (libvulkan.so.1) is installed" });
  });

  it("auto without a WebGPU adapter is the CPU, with the reason; cpu is the CPU", async () => {
    const auto = await chooseDevice("auto", { env: NO_DRIVER });
    expect(auto.device).toBe("cpu");
    expect(auto.description).toMatch(/^cpu: --device auto found no WebGPU adapter \((no Vulkan loader|the Vulkan driver manifest .* does not exist)/);
    expect((await chooseDevice("cpu")).description).toBe("cpu");
  });

  it("webgpu asked for without an adapter warns and renders on the CPU", async () => {
    const warnings: string[] = [];
    const choice = await chooseDevice("webgpu", { env: NO_DRIVER, onWarning: (m) => warnings.push(m) });
    expect(choice.device).toBe("cpu");
    expect(warnings).toEqual([expect.stringMatching(/^WebGPU is not available \(.*\); rendering on the CPU$/)]);
  });
});

describe.runIf(ready)("rendering on WebGPU (SwiftShader)", () => {
  const gpuEnv = { ...process.env, VK_ICD_FILENAMES: ICD, XDG_RUNTIME_DIR: work, LD_LIBRARY_PATH: loaderDir! };

  it("--device auto picks WebGPU where an adapter answers, and says it is a software one", async () => {
    const choice = await chooseDevice("auto", { env: gpuEnv });
    expect(choice).toMatchObject({ device: "webgpu", software: true, description: "webgpu, through Vulkan (SwiftShader, a software renderer); --device auto found a WebGPU adapter" });
  });

  it("`scenec render --device webgpu` matches the CPU's render", async () => {
    symlinkSync(model, path.join(work, "model"));
    writeFileSync(path.join(work, "a.scene"), 'canvas 64 x 64\nmodel "./model"\nsteps 2\nnoise torch\nseed 3\nregion a { at 0, 0 size 64 x 64 prompt "a lighthouse on a cliff" }\n');
    const [gpu, cpu] = await Promise.all([
      runScenec(["render", "a.scene", "-o", "gpu.png", "--save-latents", "gpu.npy", "--device", "webgpu"], { cwd: work, env: gpuEnv }),
      runScenec(["render", "a.scene", "-o", "cpu.png", "--save-latents", "cpu.npy", "--device", "cpu"], { cwd: work }),
    ]);
    expect(gpu.status, gpu.stderr).toBe(0);
    expect(cpu.status, cpu.stderr).toBe(0);
    expect(gpu.stderr).toContain("device: webgpu, through Vulkan (SwiftShader, a software renderer)\n");
    expect(cpu.stderr).toContain("device: cpu\n");
    // Nothing from Dawn or ONNX Runtime without --verbose.
    expect(gpu.stderr).not.toMatch(/onnxruntime|dawn|Warning:/i);
    const latents = (file: string) => {
      const parsed = parseNpy(readFileSync(path.join(work, file)));
      if (!parsed.ok) throw new Error(parsed.problem);
      return new Float32Array(parsed.array.data);
    };
    expect(relativeL2(latents("gpu.npy"), latents("cpu.npy"))).toBeLessThanOrEqual(1e-4);
    const sharp = (await import("sharp")).default;
    const pixels = async (file: string) => new Uint8Array(await sharp(path.join(work, file)).removeAlpha().raw().toBuffer());
    expect(psnr(await pixels("gpu.png"), await pixels("cpu.png"))).toBeGreaterThanOrEqual(60);
    // A software renderer: about 25 s on an idle 2-core machine, most of it compiling shaders.
  }, 300_000);
});
