import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtinModelFiles } from "../src/runtime/builtin/builtin-model.js";
import { ModelCache, modelCacheFromEnvironment, userCacheFolder } from "../src/runtime/model/model-cache.js";
import { folderSource, memorySource, type ModelSource } from "../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import type { AttentionForm } from "../src/runtime/onnx/attention-form.js";
import { CONFORMANCE_ROOT } from "./helpers/conformance-cases.js";

/**
 * The cache of optimised models (model-cache.ts): a second load opens ONNX Runtime's saved graphs
 * instead of the originals, computes the same, and a changed model, a damaged entry or an
 * unwritable cache folder never make a load fail or use a stale graph.
 */

const tiny = path.join(CONFORMANCE_ROOT, "models/tiny-sd15");
const work = mkdtempSync(path.join(tmpdir(), "scenec-model-cache-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let count = 0;
const freshFolder = (name: string) => path.join(work, `${name}-${count++}`);

interface Load {
  model: OnnxDiffusionModel;
  warnings: string[];
  /** Per model file: "cached" (optimised and stored) or "hit" (opened from the cache). */
  uses: Map<string, "cached" | "hit">;
}

async function load(source: ModelSource, cache: ModelCache | null, options: { attention?: AttentionForm } = {}): Promise<Load> {
  const warnings: string[] = [];
  const uses = new Map<string, "cached" | "hit">();
  const model = await OnnxDiffusionModel.load(source, {
    device: "cpu",
    modelCache: cache,
    ...options,
    onWarning: (message) => warnings.push(message),
    onDiagnostics: (text) => {
      const use = /^(\S+): optimised model (cached in|from the cache)/.exec(text);
      if (use) uses.set(use[1]!, use[2] === "cached in" ? "cached" : "hit");
    },
  });
  return { model, warnings, uses };
}

/** One UNet call, a text encoding and a decode: what a render asks of the model. */
async function outputs(model: OnnxDiffusionModel): Promise<Float32Array[]> {
  const sample = Float32Array.from({ length: 2 * 4 * 16 * 16 }, (_, i) => Math.sin(i * 0.37));
  const hidden = Float32Array.from({ length: 2 * 77 * model.conditioning.hiddenSize }, (_, i) => Math.cos(i * 0.11));
  const none = new Float32Array(0);
  return [await model.unet(sample, [2, 4, 16, 16], 500, { sequenceLength: 77, hidden, pooled: none, timeIds: none }), (await model.encodePrompts([{ text: "a red house" }]))[0]!.sequence, await model.decode(sample.subarray(0, 4 * 16 * 16), [1, 4, 16, 16])];
}

/** {@link outputs} of the model loaded without a cache, computed once. */
let reference: Promise<Float32Array[]> | undefined;
const uncachedOutputs = () =>
  (reference ??= load(folderSource(tiny), null).then(async ({ model, uses }) => {
    expect(uses.size).toBe(0);
    try {
      return await outputs(model);
    } finally {
      await model.release();
    }
  }));

const entries = (cache: ModelCache) => (existsSync(cache.folder) ? readdirSync(cache.folder) : []);
const entriesOf = (cache: ModelCache, file: string) =>
  entries(cache).filter((name) => !name.startsWith(".") && JSON.parse(readFileSync(path.join(cache.folder, name, "source.json"), "utf8")).file === file);

describe.runIf(existsSync(tiny))("the model cache", () => {
  it("a second load opens the cached optimised models, without reading the originals, and computes the same as an uncached load", async () => {
    const cache = new ModelCache(freshFolder("cache"));
    const first = await load(folderSource(tiny), cache);
    expect(Object.fromEntries(first.uses)).toEqual({ "text_encoder/model.onnx": "cached", "unet/model.onnx": "cached", "vae_decoder/model.onnx": "cached" });
    await first.model.release();

    // Counts the reads of the UNet's bytes: reading and rewriting them is what a hit saves.
    const reads: string[] = [];
    const plain = folderSource(tiny);
    const counting: ModelSource = { ...plain, read: (file) => (reads.push(file), plain.read(file)) };
    const second = await load(counting, cache);
    expect(Object.fromEntries(second.uses)).toEqual({ "text_encoder/model.onnx": "hit", "unet/model.onnx": "hit", "vae_decoder/model.onnx": "hit" });
    expect(reads.filter((file) => file.endsWith(".onnx"))).toEqual([]);
    expect(second.warnings).toEqual([]);

    const [cachedOut, uncachedOut] = [await outputs(second.model), await uncachedOutputs()];
    for (let i = 0; i < cachedOut.length; i++) expect(cachedOut[i]).toEqual(uncachedOut[i]);
    await second.model.release();
    expect(entries(cache).filter((name) => name.startsWith("."))).toEqual([]);
  });

  it("a changed model file, or another rewrite of it, gets a new entry; the changed file's old entry is removed", async () => {
    const folder = freshFolder("model");
    cpSync(tiny, folder, { recursive: true });
    const cache = new ModelCache(freshFolder("cache"));
    await (await load(folderSource(folder), cache)).model.release();
    const before = entriesOf(cache, "unet/model.onnx");
    expect(before).toHaveLength(1);

    const unet = path.join(folder, "unet/model.onnx");
    utimesSync(unet, new Date(), new Date(Date.now() + 5000));
    const changed = await load(folderSource(folder), cache);
    expect(changed.uses.get("unet/model.onnx")).toBe("cached");
    expect(changed.uses.get("text_encoder/model.onnx")).toBe("hit");
    await changed.model.release();
    const after = entriesOf(cache, "unet/model.onnx");
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);

    // The attention rewrite is part of the key: the UNet as exported is another graph, cached beside the rewritten one.
    const exported = await load(folderSource(folder), cache, { attention: "exported" });
    expect(exported.uses.get("unet/model.onnx")).toBe("cached");
    await exported.model.release();
    const rewritten = await load(folderSource(folder), cache);
    expect(rewritten.uses.get("unet/model.onnx")).toBe("hit");
    await rewritten.model.release();
    expect(entriesOf(cache, "unet/model.onnx")).toHaveLength(2);
  });

  it("a damaged entry is reported, the original loaded instead, and the entry replaced by one that loads", async () => {
    const cache = new ModelCache(freshFolder("cache"));
    await (await load(folderSource(tiny), cache)).model.release();
    const [entry] = entriesOf(cache, "unet/model.onnx");
    writeFileSync(path.join(cache.folder, entry!, "model.onnx"), "not a model");

    const recovered = await load(folderSource(tiny), cache);
    expect(recovered.warnings).toEqual([expect.stringMatching(/^the cached optimised model .*model\.onnx cannot be loaded \(.*\); loading unet\/model\.onnx and caching it again$/)]);
    expect(recovered.uses.get("unet/model.onnx")).toBe("cached");
    expect(await outputs(recovered.model)).toEqual(await uncachedOutputs());
    await recovered.model.release();

    const again = await load(folderSource(tiny), cache);
    expect(again.uses.get("unet/model.onnx")).toBe("hit");
    expect(again.warnings).toEqual([]);
    await again.model.release();
  });

  it("loads at the same time store one entry per model file", async () => {
    const cache = new ModelCache(freshFolder("cache"));
    const loads = await Promise.all([load(folderSource(tiny), cache), load(folderSource(tiny), cache)]);
    await Promise.all(loads.map((l) => l.model.release()));
    expect(loads.flatMap((l) => l.warnings)).toEqual([]);
    expect(entries(cache)).toHaveLength(3);
  });

  it("a cache folder that cannot be written is a warning, and the model loads", async () => {
    const blocked = freshFolder("file");
    writeFileSync(blocked, "a file where the cache folder would be");
    const result = await load(folderSource(tiny), new ModelCache(path.join(blocked, "models")));
    expect(result.warnings).toEqual([expect.stringMatching(/^cannot write the model cache in .*models \(.*\); loading the model without it\. Set SCENEC_CACHE_DIR to a writable folder, or SCENEC_MODEL_CACHE=off to stop caching$/)]);
    expect((await outputs(result.model))[0]!.length).toBe(2 * 4 * 16 * 16);
    await result.model.release();
  });

  it("the built-in model, generated in memory, is not cached", async () => {
    const cache = new ModelCache(freshFolder("cache"));
    const result = await load(memorySource("the built-in model", builtinModelFiles()), cache);
    await result.model.release();
    expect(result.uses.size).toBe(0);
    expect(entries(cache)).toEqual([]);
  });
});

describe("where the cache is", () => {
  const home = "/home/u";
  it("SCENEC_CACHE_DIR moves it; SCENEC_MODEL_CACHE=off turns it off", () => {
    expect(modelCacheFromEnvironment({ SCENEC_CACHE_DIR: "/big/disk/scenec" }, "linux", home)?.folder).toBe(path.resolve("/big/disk/scenec/models"));
    for (const off of ["off", "0", "false", "OFF"]) expect(modelCacheFromEnvironment({ SCENEC_MODEL_CACHE: off, SCENEC_CACHE_DIR: "/x" }, "linux", home)).toBeUndefined();
    expect(modelCacheFromEnvironment({ SCENEC_MODEL_CACHE: "on" }, "linux", home)?.folder).toBe(path.join(home, ".cache", "scenec", "models"));
  });

  it("is the platform's user cache folder by default", () => {
    expect(userCacheFolder({}, "linux", home)).toBe(path.join(home, ".cache", "scenec"));
    expect(userCacheFolder({ XDG_CACHE_HOME: "/xdg" }, "linux", home)).toBe(path.join("/xdg", "scenec"));
    expect(userCacheFolder({ XDG_CACHE_HOME: "relative" }, "linux", home)).toBe(path.join(home, ".cache", "scenec"));
    expect(userCacheFolder({}, "darwin", home)).toBe(path.join(home, "Library", "Caches", "scenec"));
    expect(userCacheFolder({ LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, "win32", home)).toBe(path.join("C:\\Users\\u\\AppData\\Local", "scenec", "Cache"));
  });

  it("the tests cache in a temporary folder, not in the user's", () => {
    expect(process.env["SCENEC_CACHE_DIR"]).toMatch(new RegExp(`^${tmpdir().replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")}`));
  });
});
