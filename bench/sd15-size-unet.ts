/**
 * Speed and memory on a Stable-Diffusion-1.5-size UNet (bench/sd15-size-unet-graph.ts: SD 1.5's
 * architecture and 859.5M parameters, random weights, 3.4 GB of external weights.pb), so that no
 * weights are downloaded. The model folder is generated once into os.tmpdir() (keyed by
 * {@link FOLDER_VERSION}; about a minute) and reused: the UNet, a 768-wide text encoder (see
 * {@link textEncoderModel}), and the tiny conformance model's tokenizer, scheduler and VAE (links).
 *
 * Renders, each in its own child process (`node --expose-gc dist/bench/sd15-size-unet.js render LAYOUT BATCH`)
 * so that its peak RSS is its own, through OnnxDiffusionModel.load and the mixture loop (`denoise`)
 * as renderPlan runs them, 2 steps (LMS, guidance 7.5 and 8): one region of 256², 512² and 640², and the paper's
 * Figure 4 layout (1408 x 640, three 640 x 640 regions at x = 0, 384, 768), batch 1 and batch 3.
 * (Batching a single region changes nothing, so those run at batch 1 only.) Reports load time,
 * each step's wall and CPU time, peak RSS and the load average around each: the machine is shared.
 *
 * Then ONNX Runtime session options on a bare UNet session with the loader's CPU attention (fused):
 * one call of 2 items (a guided region, batch 1) and of 6 (three regions in one call, batch 3) on
 * 512² tiles, twice, each in its own child: scenec's options (session-options.ts), and with
 * SCENEC_BENCH_FULL=1 (it takes long on two cores) ONNX Runtime's defaults and each setting
 * changed from them in turn.
 *
 * Writes bench/results/sd15-size-unet.json (and sd15-size-unet-sessions.json for the sweep).
 * Skipped without ../shared/conformance.
 */
import { spawnSync } from "node:child_process";
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import onnxProto from "onnx-proto";
import ort from "onnxruntime-node";
import { compile } from "../src/compiler/compile.js";
import { nodeHost } from "../src/compiler/node-host.js";
import { denoise, type StepProgress } from "../src/runtime/mixture.js";
import { folderSource } from "../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { sessionOptions, SESSION_TUNING, type SessionTuning } from "../src/runtime/model/session-options.js";
import { ATTENTION_REWRITES, defaultAttentionForm } from "../src/runtime/onnx/attention-form.js";
import { OnnxGraph } from "../src/runtime/onnx/onnx-graph.js";
import { createScheduler } from "../src/runtime/schedulers/scheduler.js";
import { TextEmbeddings } from "../src/runtime/text-embeddings.js";
import { environment, repoRoot, table, writeResult, type Benchmark } from "./harness.js";
import { SD15_UNET, writeUnet } from "./sd15-size-unet-graph.js";

/** Bump when the generated folder's content changes, so that a stale cached one is not reused. */
const FOLDER_VERSION = 1;

/** The loader's rewrite of the UNet's attention on the CPU (attention-form.ts). */
const cpuAttention = (bytes: Uint8Array) => ATTENTION_REWRITES[defaultAttentionForm("cpu")]!.apply(bytes);
const SEED = 1234;
const tinyModel = () => resolve(repoRoot(), "../shared/conformance/models/tiny-sd15");
const folderPath = () => join(tmpdir(), `scenec-sd15-size-unet-v${FOLDER_VERSION}`);
const COMPLETE = "complete.json";

/**
 * The model folder, generated on first use. Built under a temporary name and renamed when done,
 * so an interrupted generation is never taken for a finished one.
 */
export function sd15SizeFolder(): string {
  const folder = folderPath();
  if (existsSync(join(folder, COMPLETE))) return folder;
  const partial = `${folder}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(join(partial, "unet"), { recursive: true });
  mkdirSync(join(partial, "text_encoder"));
  const started = performance.now();
  const unet = writeUnet(join(partial, "unet"), SD15_UNET, SEED);
  writeFileSync(join(partial, "text_encoder", "model.onnx"), textEncoderModel(SD15_UNET.crossAttentionDim));
  // The small parts come from the tiny model; the links are fine for them (no external weights).
  for (const part of ["model_index.json", "tokenizer", "scheduler", "vae_decoder", "vae_encoder"]) symlinkSync(join(tinyModel(), part), join(partial, part));
  writeFileSync(join(partial, COMPLETE), JSON.stringify({ parameters: unet.parameters, seed: SEED, generatedMs: Math.round(performance.now() - started) }) + "\n");
  rmSync(folder, { recursive: true, force: true });
  renameSync(partial, folder);
  return folder;
}

/**
 * A text encoder with SD 1.5's output width: last_hidden_state[b, s, :] = sin(id · w + c) for
 * fixed random w, c. The tiny model's encoder is 32 wide; SD 1.5's UNet reads 768. CLIP's own cost
 * (one call per prompt per render) is not what this bench measures; the UNet's is.
 */
function textEncoderModel(width: number): Uint8Array {
  const g = new OnnxGraph("sd15_size_text_encoder");
  const ids = g.input("input_ids", "int32", ["batch", "sequence"]);
  const w = g.constant(Array.from({ length: width }, (_, i) => Math.sin(i * 12.9898) * 0.01), [width]);
  const c = g.constant(Array.from({ length: width }, (_, i) => Math.cos(i * 78.233) * 3), [width]);
  const id = g.node("Unsqueeze", [g.node("Cast", [ids], { to: 1 }), g.ints([-1])]);
  g.rename(g.node("Sin", [g.node("Add", [g.node("Mul", [id, w]), c])]), "last_hidden_state");
  g.output("last_hidden_state", "float32", ["batch", "sequence", width]);
  return g.build({ opset: 17 }).model;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;
const peakRssMB = () => Math.round(process.resourceUsage().maxRSS / 1024);
const load1 = () => round1(loadavg()[0]!);

/**
 * The largest RSS while `work` runs, sampled every 50 ms (ONNX Runtime runs off the event loop, so
 * the samples come during its calls). maxRSS cannot say it: the load's peak is higher.
 */
async function sampledPeakRssMB<T>(work: () => Promise<T>): Promise<{ result: T; peakMB: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  try {
    const result = await work();
    return { result, peakMB: Math.round(Math.max(peak, process.memoryUsage.rss()) / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}

/** Wall and CPU time (user + system, all threads) of some work: the machine is shared, so wall time depends on the others' load. */
interface Timed {
  wallMs: number;
  cpuMs: number;
  systemMs: number;
}

const clock = () => ({ wall: performance.now(), cpu: process.cpuUsage() });

function since(start: ReturnType<typeof clock>): Timed {
  const used = process.cpuUsage(start.cpu);
  return { wallMs: Math.round(performance.now() - start.wall), cpuMs: Math.round((used.user + used.system) / 1000), systemMs: Math.round(used.system / 1000) };
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; time: Timed }> {
  const start = clock();
  const result = await work();
  return { result, time: since(start) };
}

/**
 * The layouts rendered: one region of 256², 512² or 640² (memory against the tile's area), and
 * the paper's Figure 4 (scenes/countryside.scene), in {@link STEPS} steps: the first step's calls
 * are the first at their shapes (ONNX Runtime grows its memory arena and plans its buffers then),
 * the second is what each further step of a render costs.
 */
const oneRegion = (size: number) => () =>
  `canvas ${size} x ${size}\nseed 1\nsteps ${STEPS}\nscheduler lms\nguidance 7.5\nregion a { at 0, 0 size ${size} x ${size} prompt "a castle on a hill" }\n`;
const LAYOUTS = {
  "256": oneRegion(256),
  "512": oneRegion(512),
  "640": oneRegion(640),
  figure4: () => readFileSync(join(repoRoot(), "scenes", "countryside.scene"), "utf8").replace(/^steps \d+$/m, `steps ${STEPS}`),
};
const STEPS = 2;
type Layout = keyof typeof LAYOUTS;

export interface RenderReport {
  layout: Layout;
  batch: number;
  /** OnnxDiffusionModel.load (the UNet's attention rewritten for the CPU, then optimised by ONNX Runtime). */
  loadMs: number;
  /** Each step's time: the first, then the further ones. */
  steps: Timed[];
  unetCallsPerStep: number;
  /** maxRSS once loaded, and the largest RSS sampled while denoising (the load's peak is not the render's). */
  peakRssMB: { loaded: number; denoising: number };
  /**
   * RSS and JavaScript's ArrayBuffers right after loading, and RSS after a garbage collection:
   * the loader reads the UNet's weights as bytes to pass to ONNX Runtime, and those 3.4 GB stay
   * until V8 happens to collect them, which a render may or may not live to see. The child collects
   * them before denoising, so that the denoising peak is the render's own.
   */
  afterLoadMB: { rss: number; arrayBuffers: number; rssAfterGc: number };
  /** 1-minute load average before loading and after denoising: the machine is shared. */
  loadAverage: { before: number; after: number };
}

/**
 * The render child: loads the model and runs the plan's texts and mixture loop as renderPlan does
 * (the VAE is the tiny model's, so its decode would say nothing about SD 1.5's: it is left out).
 */
async function renderChild(layout: Layout, batch: number): Promise<RenderReport> {
  const before = load1();
  const result = compile(LAYOUTS[layout](), { path: `sd15-size-${layout}.scene`, host: nodeHost });
  if (!result.plan) throw new Error(`the ${layout} scene does not compile: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  const plan = result.plan;
  const t0 = performance.now();
  const model = await OnnxDiffusionModel.load(folderSource(sd15SizeFolder()), { device: "cpu" });
  try {
    const loadMs = performance.now() - t0;
    const loaded = peakRssMB();
    const usage = process.memoryUsage();
    if (!gc) throw new Error("run the render child with node --expose-gc");
    // V8 frees ArrayBuffers' memory on a background thread after a collection, and one collection
    // straight after the load does not always find the bytes unreachable yet: collect until they go.
    for (let waited = 0; process.memoryUsage().arrayBuffers > 2 ** 29 && waited < 20_000; waited += 200) {
      gc();
      await new Promise((done) => setTimeout(done, 200));
    }
    const afterLoadMB = { rss: Math.round(usage.rss / 2 ** 20), arrayBuffers: Math.round(usage.arrayBuffers / 2 ** 20), rssAfterGc: Math.round(process.memoryUsage.rss() / 2 ** 20) };
    const { embeddings, padding } = await new TextEmbeddings(model).forPlan(plan);
    const scheduler = createScheduler(plan.scheduler.name, plan.steps, { karras: plan.scheduler.karras, config: model.schedulerConfig });
    let calls = 0;
    const steps: Timed[] = [];
    let stepStart = clock();
    const onProgress = (p: StepProgress) => {
      calls = p.tiles;
      if (p.tile < p.tiles) return;
      steps.push(since(stepStart));
      stepStart = clock();
    };
    const { peakMB } = await sampledPeakRssMB(() => denoise({ model, plan, scheduler, embeddings, padding, batch, onProgress }));
    return { layout, batch, loadMs: Math.round(loadMs), steps, unetCallsPerStep: calls, peakRssMB: { loaded, denoising: peakMB }, afterLoadMB, loadAverage: { before, after: load1() } };
  } finally {
    await model.release();
  }
}

/** ONNX Runtime's own defaults (intra-op threads: one per physical core, 2 here). */
const ORT_DEFAULTS: SessionTuning = { intraOpThreads: 0, graphOptimizationLevel: "all", enableCpuMemArena: true, enableMemPattern: true, allowSpinning: true };

/**
 * The session option variants measured: scenec's choice, ONNX Runtime's defaults, then one
 * setting changed at a time from those (all but the first only with SCENEC_BENCH_FULL=1).
 */
const VARIANTS: Record<string, SessionTuning> = {
  scenec: SESSION_TUNING,
  "ORT defaults": ORT_DEFAULTS,
  "threads 1": { ...ORT_DEFAULTS, intraOpThreads: 1 },
  "optimisation extended": { ...ORT_DEFAULTS, graphOptimizationLevel: "extended" },
  "arena off": { ...ORT_DEFAULTS, enableCpuMemArena: false },
  "memory pattern off": { ...ORT_DEFAULTS, enableMemPattern: false },
  "spinning off": { ...ORT_DEFAULTS, allowSpinning: false },
};
/** The sweep's UNet calls, on 512² tiles (64 x 64 latents): one guided region (2 items), and three in one call (6 items). */
const SWEEP_ITEMS = [2, 6];
const SWEEP_LATENT = 64;
const SWEEP_CALLS = 2;

export interface UnetReport {
  variant: string;
  tuning: SessionTuning;
  /** UNet items per call: 2 per guided region. */
  items: number;
  latent: number;
  load: Timed;
  /** The first call (ONNX Runtime sizes its arena and buffers), then the same call again. */
  calls: Timed[];
  /** maxRSS once loaded, and the largest RSS sampled during the calls. */
  peakRssMB: { loaded: number; running: number };
  loadAverage: { before: number; after: number };
}

/**
 * The UNet as the loader rewrites it for the CPU in its own folder next to a hard link to the weights,
 * for the session sweep to open by path: ONNX Runtime then maps the weights itself, which loads
 * faster and with a third of the memory of the loader's way (weights passed as bytes), so the sweep
 * fits the time; the sessions run the same graph on the same weights either way.
 */
function rewrittenUnetFolder(): string {
  const folder = join(sd15SizeFolder(), "unet-rewritten");
  mkdirSync(folder, { recursive: true });
  const weights = join(folder, "weights.pb");
  if (!existsSync(weights)) linkSync(join(sd15SizeFolder(), "unet", "weights.pb"), weights);
  writeFileSync(join(folder, "model.onnx"), cpuAttention(readFileSync(join(sd15SizeFolder(), "unet", "model.onnx")))!);
  return folder;
}

/** The session child: {@link SWEEP_CALLS} calls of `items` on the rewritten UNet with a variant's options. */
async function unetChild(variant: string, items: number, latent: number): Promise<UnetReport> {
  const tuning = VARIANTS[variant];
  if (!tuning) throw new Error(`unknown variant ${variant}; one of ${Object.keys(VARIANTS).join(", ")}`);
  const before = load1();
  const { result: session, time: load } = await timed(() => ort.InferenceSession.create(join(sd15SizeFolder(), "unet-rewritten", "model.onnx"), sessionOptions(["cpu"], tuning)));
  const loaded = peakRssMB();
  const sample = Float32Array.from({ length: items * 4 * latent * latent }, (_, i) => Math.sin(i * 0.1));
  const hidden = Float32Array.from({ length: items * 77 * SD15_UNET.crossAttentionDim }, (_, i) => Math.cos(i * 0.01));
  const calls: Timed[] = [];
  const { peakMB } = await sampledPeakRssMB(async () => {
    for (let c = 0; c < SWEEP_CALLS; c++) {
      const { result: out, time } = await timed(() =>
        session.run({
          sample: new ort.Tensor("float32", sample, [items, 4, latent, latent]),
          timestep: new ort.Tensor("float32", new Float32Array(items).fill(999), [items]),
          encoder_hidden_states: new ort.Tensor("float32", hidden, [items, 77, SD15_UNET.crossAttentionDim]),
        }),
      );
      if (!(out["out_sample"]!.data as Float32Array).every(Number.isFinite)) throw new Error("the UNet's output is not finite");
      calls.push(time);
    }
  });
  await session.release();
  return { variant, tuning, items, latent, load, calls, peakRssMB: { loaded, running: peakMB }, loadAverage: { before, after: load1() } };
}

/** Attention nodes the loader's rewrite slices in the generated UNet (SD 1.5 has 32: self and cross in each of its 16 transformers). */
function rewrittenAttentions(): { exported: number; rewritten: number } {
  const bytes = readFileSync(join(sd15SizeFolder(), "unet", "model.onnx"));
  const softmaxes = (model: Uint8Array) => onnxProto.onnx.ModelProto.decode(model).graph!.node!.filter((n) => n.opType === "Softmax").length;
  const rewritten = cpuAttention(bytes);
  return { exported: softmaxes(bytes), rewritten: rewritten ? new Set(onnxProto.onnx.ModelProto.decode(rewritten).graph!.node!.map((n) => /^scenec_attn(\d+)_/.exec(n.name ?? "")?.[1]).filter((n) => n !== undefined)).size : 0 };
}

/** Runs this file as a child with `args`; its last stdout line is its JSON report. */
function runChild<T>(args: string[]): T | { failed: string } {
  const run = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), ...args], { encoding: "utf8", timeout: 40 * 60_000, maxBuffer: 1 << 20 });
  try {
    return JSON.parse(run.stdout.trim().split("\n").pop() ?? "") as T;
  } catch {
    return { failed: (run.stderr || `status ${run.status} ${run.signal ?? ""}`).trim().split("\n").slice(-3).join(" | ") };
  }
}

const RENDERS: [Layout, number][] = [
  ["256", 1],
  ["512", 1],
  ["640", 1],
  ["figure4", 1],
  ["figure4", 3],
];

export const benchmark: Benchmark = {
  name: "sd15-size-unet",
  async run() {
    if (!existsSync(tinyModel())) {
      console.log(`skipped: ${tinyModel()} is absent (../shared/conformance)`);
      return;
    }
    const generated = performance.now();
    const folder = sd15SizeFolder();
    console.log(`model folder ${folder} (${Math.round(performance.now() - generated)} ms; ${statSync(join(folder, "unet", "weights.pb")).size} bytes of weights)`);
    const attentions = rewrittenAttentions();
    console.log(`attentions: ${attentions.exported} exported, ${attentions.rewritten} rewritten by the loader (${defaultAttentionForm("cpu")})`);

    const renders = RENDERS.map(([layout, batch]) => ({ layout, batch, ...runChild<RenderReport>(["render", layout, String(batch)]) }));
    console.log(
      table(
        ["layout", "batch", "UNet calls", "load s", "1st step s (cpu, system)", "2nd step s (cpu, system)", "RSS MB denoising (load, dead weights bytes)", "load avg"],
        renders.map((r) =>
          "failed" in r
            ? [r.layout, String(r.batch), "failed", r.failed]
            : [r.layout, String(r.batch), String(r.unetCallsPerStep), (r.loadMs / 1000).toFixed(1), ...r.steps.map((t) => `${(t.wallMs / 1000).toFixed(1)} (${(t.cpuMs / 1000).toFixed(1)}, ${(t.systemMs / 1000).toFixed(1)})`), `${r.peakRssMB.denoising} (${r.peakRssMB.loaded}, ${r.afterLoadMB.arrayBuffers})`, `${r.loadAverage.before}-${r.loadAverage.after}`],
        ),
      ),
    );

    const sessions: (UnetReport | { variant: string; items: number; failed: string })[] = [];
    rewrittenUnetFolder();
    const variants = Object.keys(VARIANTS);
    for (const variant of process.env["SCENEC_BENCH_FULL"] === "1" ? variants : variants.slice(0, 1))
      for (const items of SWEEP_ITEMS) sessions.push({ variant, items, ...runChild<UnetReport>(["unet", variant, String(items), String(SWEEP_LATENT)]) });
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    console.log(
      table(
        ["options", "items", "load s (cpu)", "1st call s (cpu, system)", "2nd call s (cpu, system)", "2nd call cpu s / item", "RSS MB running (load)", "load avg"],
        sessions.map((s) =>
          "failed" in s
            ? [s.variant, String(s.items), "failed", s.failed]
            : [
                s.variant,
                String(s.items),
                `${seconds(s.load.wallMs)} (${seconds(s.load.cpuMs)})`,
                ...s.calls.map((c) => `${seconds(c.wallMs)} (${seconds(c.cpuMs)}, ${seconds(c.systemMs)})`),
                seconds(s.calls[s.calls.length - 1]!.cpuMs / s.items),
                `${s.peakRssMB.running} (${s.peakRssMB.loaded})`,
                `${s.loadAverage.before}-${s.loadAverage.after}`,
              ],
        ),
      ),
    );
    console.log(`wrote ${writeResult("sd15-size-unet-sessions", { environment: environment(), latent: SWEEP_LATENT, sessions })}`);
    console.log(`wrote ${writeResult("sd15-size-unet", { environment: environment(), folder, attentions, renders })}`);
  },
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv.length > 2) {
  const [kind, ...args] = process.argv.slice(2);
  const report =
    kind === "render"
      ? await renderChild(args[0] as Layout, Number(args[1]))
      : kind === "unet"
        ? await unetChild(args[0]!, Number(args[1]), Number(args[2]))
        : undefined;
  if (!report) throw new Error(`usage: sd15-size-unet.js render LAYOUT BATCH | unet VARIANT ITEMS LATENT`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
