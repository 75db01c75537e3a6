import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import { encodeNpy, parseNpy } from "../src/compiler/check/npy-file.js";
import { withOverrides } from "../src/compiler/plan/plan-overrides.js";
import { initialNoise } from "../src/runtime/mixture.js";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { float32ToHalfArray } from "../src/runtime/onnx/float16.js";
import { torchRandn } from "../src/runtime/noise/torch-randn.js";
import { memoryHost } from "./helpers/memory-host.js";
import { compileScene, loadBuiltinModel, newCaches, renderWith } from "./helpers/render-helpers.js";
import { runScenec } from "./helpers/scenec-cli.js";
import { runMain } from "./helpers/scenec-main.js";

/**
 * `noise "file.npy"` and `--save-latents`: noise held in a file is checked at compile time like a
 * guide, starts the render exactly where a generator's draw of the same values would, and the
 * final latents come back out as a NumPy file.
 */

const SCENE = (noise: string) => `canvas 128 x 64
steps 3
${noise}
region left  { at 0, 0   size 64 x 64  prompt "a red desert" }
region right { at 64, 0  size 64 x 64  prompt "a blue sea" }
`;
const LATENTS = 4 * 8 * 16;

/** An .npy file as NumPy writes one with a format 2.0 header (4-byte length), for the parser. */
function npyV2(descr: string, shape: number[], data: Uint8Array): Uint8Array {
  const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`.padEnd(51, " ") + "\n";
  const out = new Uint8Array(12 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), 12);
  out.set(data, 12 + header.length);
  return out;
}

function codes(text: string, files: Record<string, Uint8Array>): string[] {
  return compile(text, { path: "test.scene", host: memoryHost(files) }).diagnostics.map((d) => `${d.code} ${d.message}`);
}

describe(".npy files", () => {
  it("round-trip float32 values with their shape, data aligned at 64 bytes", () => {
    const values = Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1);
    const bytes = encodeNpy(values, [1, 4, 2, 3]);
    const parsed = parseNpy(bytes);
    expect(parsed.ok && parsed.array.shape).toEqual([1, 4, 2, 3]);
    expect(parsed.ok && new Float32Array(parsed.array.data)).toEqual(values);
    expect((bytes.length - values.byteLength) % 64).toBe(0);
    expect(new TextDecoder("latin1").decode(bytes.subarray(10, bytes.length - values.byteLength))).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(1, 4, 2, 3\), \} *\n$/);
  });

  it("read format 2.0 headers and float16 values", () => {
    const half = float32ToHalfArray(Float32Array.from([0.5, -2]));
    const parsed = parseNpy(npyV2("<f2", [2], new Uint8Array(half.buffer)));
    expect(parsed.ok && parsed.array.dtype).toBe("float16");
    expect(parsed.ok && parsed.array.shape).toEqual([2]);
  });

  it("refuse what is not an array of floats, saying why", () => {
    expect(parseNpy(new TextEncoder().encode("canvas 512 x 512"))).toMatchObject({ ok: false, problem: expect.stringContaining("signature") });
    expect(parseNpy(npyV2("<f8", [1], new Uint8Array(8)))).toMatchObject({ ok: false, dtype: "<f8" });
    expect(parseNpy(npyV2("<f4", [3], new Uint8Array(8)))).toMatchObject({ ok: false, problem: expect.stringContaining("needs 12 bytes of data, and it has 8") });
  });
});

describe("noise \"file.npy\" in the compiler", () => {
  const good = encodeNpy(torchRandn(5, LATENTS), [1, 4, 8, 16]);

  it("records the file's path, hash, type and shape in the plan", () => {
    const plan = compileScene(SCENE('noise "noise/x.npy"'), { host: memoryHost({ "noise/x.npy": good }) });
    expect(plan.noiseFile).toEqual({ path: "noise/x.npy", source: "test.scene:3:7", sha256: expect.stringMatching(/^[0-9a-f]{64}$/), dtype: "float32", shape: [1, 4, 8, 16] });
    // A changed file changes the plan.
    const other = compileScene(SCENE('noise "noise/x.npy"'), { host: memoryHost({ "noise/x.npy": encodeNpy(torchRandn(6, LATENTS), [1, 4, 8, 16]) }) });
    expect(other.noiseFile!.sha256).not.toBe(plan.noiseFile!.sha256);
    expect(compileScene(SCENE("noise torch")).noiseFile).toBeUndefined();
  });

  it("reports each unusable file with S3013 at the path", () => {
    const nan = torchRandn(5, LATENTS);
    nan[3] = Number.NaN;
    nan[9] = Number.POSITIVE_INFINITY;
    const scene = SCENE('noise "x.npy"');
    expect(codes(scene, {})).toEqual(["S3013 cannot find noise file `x.npy`"]);
    expect(codes(scene, { "x.npy": new TextEncoder().encode("hello") })).toEqual(["S3013 `x.npy` is not a NumPy .npy array: it does not start with NumPy's `\\x93NUMPY` signature"]);
    expect(codes(scene, { "x.npy": npyV2("<i8", [1], new Uint8Array(8)) })).toEqual(["S3013 noise file `x.npy` holds `<i8` values"]);
    expect(codes(scene, { "x.npy": encodeNpy(torchRandn(5, 4 * 8 * 8), [4, 8, 8]) })).toEqual(["S3013 noise file `x.npy` has shape (4, 8, 8), but the canvas 128 x 64 needs (4, 8, 16)"]);
    expect(codes(scene, { "x.npy": encodeNpy(nan, [4, 8, 16]) })).toEqual(["S3013 noise file `x.npy` holds 2 values that are not finite"]);
    expect(codes(SCENE('noise ""'), {})).toEqual(["S2010 `noise` is empty"]);
    expect(codes(SCENE('noise "/tmp/x.npy"'), {})).toEqual(["S3011 `/tmp/x.npy` is an absolute path"]);
  });

  it("is replaced by --noise", () => {
    const plan = compileScene(SCENE('noise "x.npy"'), { host: memoryHost({ "x.npy": good }) });
    expect(withOverrides(plan, { noise: "torch" })).not.toHaveProperty("noiseFile");
    expect(withOverrides(plan, { steps: 5 }).noiseFile).toEqual(plan.noiseFile);
  });
});

describe("noise \"file.npy\" in a render", () => {
  let model: OnnxDiffusionModel;
  let folder: string;
  beforeAll(async () => {
    model = await loadBuiltinModel();
    folder = mkdtempSync(path.join(tmpdir(), "scenec-noise-file-"));
  });
  afterAll(async () => {
    await model?.release();
    rmSync(folder, { recursive: true, force: true });
  });

  it("starts from the file's values: the same picture and latents as torch.randn's draw of them", async () => {
    const values = torchRandn(1234, LATENTS);
    writeFileSync(path.join(folder, "noise.npy"), encodeNpy(values, [4, 8, 16]));
    const host = { readFile: (p: string) => ({ ok: true as const, bytes: readFileSync(path.join(folder, p)) }) };
    const fromFile = compileScene(SCENE('noise "noise.npy"'), { host });
    const fromSeed = compileScene(SCENE("noise torch\nseed 1234"));
    const a = await renderWith(fromFile, model, newCaches(model), { folder, keepLatents: true });
    const b = await renderWith(fromSeed, model, newCaches(model), { keepLatents: true });
    expect(a.latents).toEqual(b.latents);
    expect(a.rgb).toEqual(b.rgb);
    expect(initialNoise(fromFile, values)).toEqual(initialNoise(fromSeed));
  });

  it("refuses a file changed since the compile rather than rendering other noise", async () => {
    writeFileSync(path.join(folder, "noise.npy"), encodeNpy(torchRandn(1, LATENTS), [4, 8, 16]));
    const host = { readFile: (p: string) => ({ ok: true as const, bytes: readFileSync(path.join(folder, p)) }) };
    const plan = compileScene(SCENE('noise "noise.npy"'), { host });
    writeFileSync(path.join(folder, "noise.npy"), encodeNpy(torchRandn(2, LATENTS), [4, 8, 16]));
    await expect(renderWith(plan, model, newCaches(model), { folder })).rejects.toThrow(/noise file .*noise\.npy has changed since the plan was made; compile the scene again/);
  });

  it("--save-latents writes the final latents as float32 (1, 4, H/8, W/8), and they continue a render bit for bit", async () => {
    writeFileSync(path.join(folder, "a.scene"), SCENE("noise torch\nseed 99"));
    // Spawned: the render runs in the built worker (dist/), as a user's does.
    const run = await runScenec(["render", "a.scene", "--save-latents", "a.npy"], { cwd: folder });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/wrote .*a\.npy \(final latents, \[1, 4, 8, 16\] float32\)/);
    const parsed = parseNpy(readFileSync(path.join(folder, "a.npy")));
    expect(parsed.ok && parsed.array.shape).toEqual([1, 4, 8, 16]);
    const expected = await renderWith(compileScene(SCENE("noise torch\nseed 99")), model, newCaches(model), { keepLatents: true });
    expect(parsed.ok && new Float32Array(parsed.array.data)).toEqual(expected.latents);
  });

  it("--save-latents needs a .npy name of its own", async () => {
    writeFileSync(path.join(folder, "b.scene"), SCENE(""));
    const png = await runMain("render", path.join(folder, "b.scene"), "--save-latents", path.join(folder, "b.png"));
    expect(png.status).toBe(2);
    expect(png.stderr).toContain("--save-latents writes a NumPy file: give it a name ending in .npy");
  });
});
