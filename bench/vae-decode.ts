/**
 * Tiled VAE decoding against whole-canvas decoding with a real (tiny, random-weight) SD 1.5 VAE
 * decoder from the conformance fixtures: the layout's work (decoder work over the tiles, padding
 * and overlap included, over the canvas's: decode-layout.ts), PSNR against the whole decode,
 * peak RSS and time. Canvases: the 3-region conformance case's latents (80 x 32, 640 x 256 px),
 * the same latents resized to the issue's canvas (176 x 80, 1408 x 640 px) and to 3x (240 x 96,
 * 1920 x 768 px), bilinear. Decodes: whole; the default (the 4 GiB budget: whole when the
 * estimate fits); staged within a 256 MiB budget (tiles chosen for it); staged in forced
 * 64-element cores (the layout before the budget: cores of at most 64 a side); and cross-faded
 * tiles, as decoders without GroupNorm get them (forced here for comparison), within a 2 GiB
 * budget (sized as for SD 1.5's decoder, which is assumed for them) and in forced 32-element tiles.
 *
 * First, without a model, the layouts SD 1.5's decoder gets within the default budget at 1408 x 640,
 * 2048 x 2048 and 3840 x 2160, and their work.
 *
 * Each configuration runs in its own child process (`node dist/bench/vae-decode.js CONFIG OUT`)
 * so that its peak RSS is its own; the child writes its pixels to OUT for the parent to compare.
 * Targets: every staged decode >= 60 dB against the whole decode; every budget-chosen layout's
 * work <= 1.3. Skipped when ../shared/conformance is absent. Prints a table and writes
 * bench/results/vae-decode.json.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import type { DiffusionModel } from "../src/runtime/model/diffusion-model.js";
import { folderSource } from "../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { decodeLatents, DEFAULT_DECODE_MEMORY, DEFAULT_DECODE_OVERLAP, type DecodeOptions } from "../src/runtime/tiled-decode.js";
import { SD15_DECODER_PROFILE, wholeDecodeBytes } from "../src/runtime/vae/decoder-cost.js";
import { decodeLayout, decodeWork } from "../src/runtime/vae/decode-layout.js";
import type { StagedDecoder } from "../src/runtime/vae/staged-decoder.js";
import { environment, repoRoot, table, writeResult, type Benchmark } from "./harness.js";

export const TARGET_PSNR_DB = 60;
export const TARGET_WORK = 1.3;

const conformance = () => resolve(repoRoot(), "../shared/conformance");
const CANVASES = { case: [80, 32], issue: [176, 80], x3: [240, 96] } as const;
type Canvas = keyof typeof CANVASES;
/** A small budget for the tiny VAE (its whole decode of the issue's canvas takes 1.6 GB), and one for SD 1.5's (assumed for decoders that cannot be staged). */
const SMALL_BUDGET = 256 * 2 ** 20;
const CROSSFADED_BUDGET = 2 * 2 ** 30;
const DECODES: Record<string, { options: DecodeOptions; staged: boolean; byBudget: boolean }> = {
  whole: { options: { tile: Infinity }, staged: true, byBudget: false },
  default: { options: {}, staged: true, byBudget: true },
  "staged-256MiB": { options: { memory: SMALL_BUDGET }, staged: true, byBudget: true },
  "staged-64": { options: { tile: 64 }, staged: true, byBudget: false },
  "crossfaded-2GiB": { options: { memory: CROSSFADED_BUDGET }, staged: false, byBudget: true },
  "crossfaded-32": { options: { tile: 32, overlap: 8 }, staged: false, byBudget: false },
};
const CHILD_TIMEOUT_MS = 10 * 60_000;

/** The case's scaled latents [4, 32, 80], bilinearly resized to [4, height, width]. */
function latents(width: number, height: number): Float32Array {
  const bytes = readFileSync(join(conformance(), "cases/sd15-canvas-3regions/latents.f32"));
  const src = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const [w0, h0] = CANVASES.case;
  const data = new Float32Array(4 * width * height);
  for (let c = 0; c < 4; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const fy = Math.min(h0 - 1, Math.max(0, ((y + 0.5) * h0) / height - 0.5));
        const fx = Math.min(w0 - 1, Math.max(0, ((x + 0.5) * w0) / width - 0.5));
        const [y0, x0] = [Math.floor(fy), Math.floor(fx)];
        const [y1, x1] = [Math.min(h0 - 1, y0 + 1), Math.min(w0 - 1, x0 + 1)];
        const [ty, tx] = [fy - y0, fx - x0];
        const at = (yy: number, xx: number) => src[(c * h0 + yy) * w0 + xx]!;
        data[(c * height + y) * width + x] = (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x1)) + ty * ((1 - tx) * at(y1, x0) + tx * at(y1, x1));
      }
  return data;
}

interface ChildReport {
  width: number;
  height: number;
  tiles: number;
  /** The layout's work over the canvas's (decode-layout.ts). */
  work: number;
  loadedMb: number;
  peakMb: number;
  decodeMs: number;
}

const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

async function child(config: string, out: string): Promise<void> {
  const [canvas, ...rest] = config.split("-");
  const decode = DECODES[rest.join("-")]!;
  const [width, height] = CANVASES[canvas as Canvas];
  const data = latents(width, height);
  const loaded = await OnnxDiffusionModel.load(folderSource(join(conformance(), "models/tiny-sd15")), { device: "cpu" });
  try {
    const staged = (await loaded.stagedDecoder()) as StagedDecoder;
    const { tile, memory, overlap } = decode.options;
    const layout = decodeLayout({
      width,
      height,
      // As decodeLatents has it: a decoder it cannot stage is assumed to be SD 1.5's.
      profile: decode.staged ? staged.profile : SD15_DECODER_PROFILE,
      memory: memory ?? DEFAULT_DECODE_MEMORY,
      overlap: overlap ?? DEFAULT_DECODE_OVERLAP,
      ...(decode.staged ? { padding: staged.receptiveField! } : {}),
      ...(tile !== undefined ? { tile } : {}),
    });
    // Without stagedDecoder, decodeLatents cross-fades (as for a decoder it cannot stage).
    const model: DiffusionModel = decode.staged ? loaded : { description: loaded.description, scalingFactor: loaded.scalingFactor, decode: (l, s) => loaded.decode(l, s) } as DiffusionModel;
    const loadedMb = maxRssMb();
    let tiles = 0;
    const t0 = performance.now();
    const rgb = await decodeLatents(model, data, width, height, { ...decode.options, onTile: (_done, total) => (tiles = total) });
    const decodeMs = Math.round(performance.now() - t0);
    writeFileSync(out, rgb);
    const report: ChildReport = { width: width * 8, height: height * 8, tiles, work: Math.round(decodeWork(layout, width, height, decode.staged ? staged.profile : SD15_DECODER_PROFILE) * 1000) / 1000, loadedMb: Math.round(loadedMb), peakMb: Math.round(maxRssMb()), decodeMs };
    process.stdout.write(JSON.stringify(report) + "\n");
  } finally {
    await loaded.release();
  }
}

function psnr(a: Uint8Array, b: Uint8Array): { db: number; max: number } {
  let se = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    se += d * d;
    max = Math.max(max, Math.abs(d));
  }
  return { db: se === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / se), max };
}

interface Row {
  config: string;
  report?: ChildReport;
  psnrDb?: number;
  maxDiff?: number;
  error?: string;
}

/** SD 1.5's receptive field in latent elements (what planDecoder reads off its graph; autoencoderKlProfile gives the same). */
const SD15_PADDING = Math.max(...SD15_DECODER_PROFILE.convs.map((c) => c.reach));

interface Sd15Layout {
  canvas: string;
  wholeGiB: number;
  staged: string;
  stagedWork: number;
  crossfaded: string;
  crossfadedWork: number;
}

/** The layouts SD 1.5's decoder gets within the default budget on the issue's and two large canvases: no model needed, only its profile. */
function sd15Layouts(): Sd15Layout[] {
  return [
    [176, 80],
    [256, 256],
    [480, 270],
  ].map(([width, height]) => {
    const request = { width: width!, height: height!, profile: SD15_DECODER_PROFILE, memory: DEFAULT_DECODE_MEMORY, overlap: DEFAULT_DECODE_OVERLAP };
    const staged = decodeLayout({ ...request, padding: SD15_PADDING });
    const faded = decodeLayout(request);
    const grid = (l: typeof staged) => (l.kind === "whole" ? "whole" : l.kind === "staged" ? `${l.cols} x ${l.rows}` : `${l.cols.length} x ${l.rows.length}`);
    const work = (l: typeof staged) => Math.round(decodeWork(l, width!, height!, SD15_DECODER_PROFILE) * 1000) / 1000;
    return { canvas: `${width! * 8}x${height! * 8}`, wholeGiB: Math.round((wholeDecodeBytes(SD15_DECODER_PROFILE, width! * height!) / 2 ** 30) * 100) / 100, staged: grid(staged), stagedWork: work(staged), crossfaded: grid(faded), crossfadedWork: work(faded) };
  });
}

export async function runVaeDecodeBench(): Promise<Row[]> {
  const sd15 = sd15Layouts();
  console.log(`SD 1.5's decoder (its profile, float32) within the default ${DEFAULT_DECODE_MEMORY / 2 ** 30} GiB budget:`);
  console.log(
    table(
      ["canvas", "whole decode GiB", "staged tiles", "work", "cross-faded tiles", "work"],
      sd15.map((r) => [r.canvas, r.wholeGiB.toFixed(2), r.staged, r.stagedWork.toFixed(3), r.crossfaded, r.crossfadedWork.toFixed(3)]),
    ),
  );
  console.log("");
  if (!existsSync(join(conformance(), "models/tiny-sd15/vae_decoder/model.onnx"))) {
    console.log(`  skipped: ${conformance()} is absent`);
    return [];
  }
  const script = fileURLToPath(import.meta.url);
  const folder = mkdtempSync(join(tmpdir(), "scenec-vae-decode-"));
  const rows: Row[] = [];
  try {
    for (const canvas of Object.keys(CANVASES)) {
      let whole: Uint8Array | undefined;
      for (const decode of Object.keys(DECODES)) {
        const config = `${canvas}-${decode}`;
        const out = join(folder, `${config}.rgb`);
        const result = spawnSync(process.execPath, [script, config, out], { encoding: "utf8", timeout: CHILD_TIMEOUT_MS, maxBuffer: 1 << 20 });
        const line = result.stdout?.trim().split("\n").pop() ?? "";
        if (result.status !== 0 || !line.startsWith("{")) {
          const why = result.error ? result.error.message : result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`;
          rows.push({ config, error: `${why}: ${(result.stderr ?? "").trim().split("\n").slice(-3).join(" | ")}` });
          console.log(`  ${config}: FAILED (${rows.at(-1)!.error})`);
          continue;
        }
        const report = JSON.parse(line) as ChildReport;
        const rgb = new Uint8Array(readFileSync(out));
        if (decode === "whole") whole = rgb;
        const { db, max } = whole ? psnr(whole, rgb) : { db: NaN, max: NaN };
        rows.push({ config, report, psnrDb: Math.round(db * 10) / 10, maxDiff: max });
        console.log(`  ${config}: ${report.width}x${report.height}, ${db.toFixed(1)} dB, peak ${report.peakMb} MB, ${report.decodeMs} ms`);
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }

  console.log("");
  console.log(
    table(
      ["config", "canvas", "tiles", "work", "PSNR dB", "max diff", "loaded MB", "peak MB", "decode ms"],
      rows.map((row) => {
        const rep = row.report;
        if (!rep) return [row.config, "-", "-", "-", "-", "-", "-", "-", "-"];
        return [row.config, `${rep.width}x${rep.height}`, String(rep.tiles), rep.work.toFixed(3), String(row.psnrDb), String(row.maxDiff), String(rep.loadedMb), String(rep.peakMb), String(rep.decodeMs)];
      }),
    ),
  );
  console.log("(work: decoder work over the tiles, padding and overlap included, over the canvas's; PSNR and max diff (levels) against the same canvas's whole decode; MB: peak RSS of the child, after loading the model and after decoding, in MiB)");
  const staged = rows.filter((row) => row.config.includes("-staged-") || row.config.endsWith("-default"));
  const worst = Math.min(...staged.map((row) => row.psnrDb ?? -Infinity));
  console.log(`target >= ${TARGET_PSNR_DB} dB for every staged tiled decode: worst ${worst} dB (${worst >= TARGET_PSNR_DB ? "meets" : "MISSES"} it)`);
  const budgeted = rows.filter((row) => DECODES[row.config.split("-").slice(1).join("-")]?.byBudget);
  const worstWork = Math.max(...budgeted.map((row) => row.report?.work ?? Infinity));
  console.log(`target <= ${TARGET_WORK} work for every layout chosen by a budget: worst ${worstWork} (${worstWork <= TARGET_WORK ? "meets" : "MISSES"} it)`);
  const out = writeResult("vae-decode", { benchmark: "vae-decode", ...environment(), model: "tiny-sd15", targetPsnrDb: TARGET_PSNR_DB, worstStagedPsnrDb: worst, targetWork: TARGET_WORK, worstBudgetWork: worstWork, sd15Layouts: sd15, runs: rows });
  console.log(`wrote ${relative(process.cwd(), out)}`);
  return rows;
}

export const benchmark: Benchmark = {
  name: "vae-decode",
  run: async () => {
    await runVaeDecodeBench();
  },
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [config, out] = process.argv.slice(2);
  if (config && out) await child(config, out);
  else await benchmark.run();
}
