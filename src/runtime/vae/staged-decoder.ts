import ort from "onnxruntime-node";
import { float32ToHalfArray, halfArrayToFloat32 } from "../onnx/float16.js";
import { ATTENTION_SCORES, type DecoderProfile } from "./decoder-cost.js";
import type { DecoderPlan, ElementType, GatherStep, GroupNormStep, SegmentStep } from "./decoder-plan.js";
import type { GridTile } from "./tile-grid.js";

export type OpenSession = (model: Uint8Array) => Promise<ort.InferenceSession>;

export interface StagedDecodeHooks {
  /** After each segment run on a tile: `done` of `total` runs. */
  onRun?: (done: number, total: number) => void;
  /** Checked before each run; true stops the decode (the caller throws). */
  shouldStop?: () => boolean;
  /** A tile's finished decoder output [1, 3, 8·(y1-y0), 8·(x1-x0)] for the region it has by then, as float32. */
  onTile: (tile: GridTile, rgb: Float32Array) => void;
}


/**
 * Runs a {@link DecoderPlan} over a grid of tiles, step by step: each segment over every tile,
 * then each GroupNorm's statistics over the canvas (sums over the tiles' cores), each attention's
 * keys and values gathered from the cores. With padding that covers the receptive field, every
 * core comes out as the whole-canvas decode has it.
 *
 * Memory: one segment run is bounded by the tile, but the values that cross a step boundary are
 * kept for every tile until the next step: at the widest boundary about two activations of the
 * whole canvas at full resolution (SD 1.5: 128 channels, 2 x 512 bytes a pixel; the tiles have
 * shrunk to their cores and a latent element or two by then). Canvas-wide keys and values are at
 * latent resolution; attention scores are bounded by ATTENTION_SCORES.
 */
export class StagedDecoder {
  private readonly sessions = new Map<SegmentStep, Promise<ort.InferenceSession>>();
  /** Segment runs per tile. */
  readonly segments: number;

  /** Builds a segment's model; dropped once every segment has its session, to free the graph's weights (the sessions have their own). */
  private segmentModel: DecoderPlan["segmentModel"] | undefined;

  constructor(
    private readonly plan: Omit<DecoderPlan, "segmentModel">,
    segmentModel: DecoderPlan["segmentModel"],
    private readonly open: OpenSession,
  ) {
    this.segments = plan.steps.filter((s) => s.kind === "segment").length;
    this.segmentModel = segmentModel;
  }

  /** Its memory and work per latent element. */
  get profile(): DecoderProfile {
    return this.plan.profile;
  }

  /**
   * The padding that covers the decoder's receptive field, in latent elements; undefined when
   * the graph has an op whose reach is not known.
   */
  get receptiveField(): number | undefined {
    const r = this.plan.reach.get(this.plan.input);
    return r !== undefined && Number.isFinite(r) ? r : undefined;
  }

  /**
   * Decodes unscaled latents [4, height, width] (float32) tile by tile. After each segment a
   * tile's values are cropped to what the rest of the decoder still needs (its core and the
   * values' reach), so the full-resolution layers run on little more than the core.
   */
  async decode(latents: Float32Array, width: number, height: number, grid: readonly GridTile[], hooks: StagedDecodeHooks): Promise<boolean> {
    const { plan } = this;
    const lastRead = new Map<string, number>();
    plan.steps.forEach((step, s) => reads(step).forEach((v) => lastRead.set(v, s)));
    const stores = grid.map((tile) => new Map<string, ort.Tensor>([[plan.input, latentTile(latents, width, height, tile, plan.inputType)]]));
    const regions = grid.map((tile) => ({ ...tile }));
    const canvas = new Map<string, ort.Tensor>();
    const total = this.segments * grid.length;
    let done = 0;
    for (const [s, step] of plan.steps.entries()) {
      if (step.kind === "segment") {
        const session = await this.session(step, stores[0]!, canvas);
        for (const [t, store] of stores.entries()) {
          if (hooks.shouldStop?.()) return false;
          const feeds = Object.fromEntries(step.inputs.map((v) => [v, (step.canvasInputs.includes(v) ? canvas : store).get(v)!]));
          const out = await runSegment(session, step, feeds);
          for (const v of step.outputs) store.set(v, out[v]!);
          if (step.outputs.includes(plan.output)) {
            hooks.onTile(regions[t]!, toFloat32(store.get(plan.output)!));
            store.delete(plan.output);
          }
          hooks.onRun?.(++done, total);
          forget(store, s, lastRead);
          crop(store, regions[t]!, plan.reach);
        }
        forget(canvas, s, lastRead);
      } else if (step.kind === "groupNorm") {
        groupNorm(step, stores, regions, canvas);
        stores.forEach((store) => forget(store, s, lastRead));
      } else canvas.set(step.value, gather(step, stores, regions, width, height));
    }
    return true;
  }

  private session(step: SegmentStep, store: ReadonlyMap<string, ort.Tensor>, canvas: ReadonlyMap<string, ort.Tensor>): Promise<ort.InferenceSession> {
    let session = this.sessions.get(step);
    if (!session) {
      const types = new Map(step.inputs.map((v) => [v, ((step.canvasInputs.includes(v) ? canvas : store).get(v)!.type as ElementType)]));
      session = this.open(this.segmentModel!(step, types));
      this.sessions.set(step, session);
      if (this.sessions.size === this.segments) this.segmentModel = undefined;
    }
    return session;
  }

  async release(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => s.then((x) => x.release()).catch(() => undefined)));
  }
}

function reads(step: DecoderPlan["steps"][number]): string[] {
  if (step.kind === "segment") return step.inputs;
  if (step.kind === "groupNorm") return [step.input];
  return [step.value];
}

function forget(values: Map<string, ort.Tensor>, step: number, lastRead: ReadonlyMap<string, number>): void {
  for (const v of values.keys()) if ((lastRead.get(v) ?? -1) <= step) values.delete(v);
}

/** One run, or (an attention core whose scores against the whole canvas would be big) one run per slice of its queries. */
async function runSegment(session: ort.InferenceSession, step: SegmentStep, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const queries = step.queries !== undefined ? feeds[step.queries] : undefined;
  const keys = step.canvasKeys?.[0] !== undefined ? feeds[step.canvasKeys[0]] : undefined;
  if (!queries || !keys || step.outputs.length !== 1) return session.run(feeds, step.outputs);
  const rows = queries.dims[queries.dims.length - 2]!;
  const positions = keys.dims[keys.dims.length - 1]!;
  const slice = Math.max(1, Math.floor(ATTENTION_SCORES / positions));
  if (rows <= slice) return session.run(feeds, step.outputs);
  const parts: ort.Tensor[] = [];
  for (let r = 0; r < rows; r += slice) {
    const out = await session.run({ ...feeds, [step.queries!]: rowSlice(queries, r, Math.min(rows, r + slice)) }, step.outputs);
    parts.push(out[step.outputs[0]!]!);
  }
  return { [step.outputs[0]!]: rowConcat(parts) };
}

type Data = Float32Array | Uint16Array;

/**
 * Crops a tile's values (all [1, C, h, w] at some multiple of the latent resolution) to its core
 * grown by the largest reach among them, and updates its region; leaves them as they are when
 * one is not such a tensor (the attention's shapes and sizes).
 */
function crop(store: Map<string, ort.Tensor>, region: GridTile, reach: ReadonlyMap<string, number>): void {
  const h = region.y1 - region.y0;
  const w = region.x1 - region.x0;
  const scales = [...store.values()].map((t) => (t.dims.length === 4 && t.dims[2]! % h === 0 && t.dims[3]! === (t.dims[2]! / h) * w ? t.dims[2]! / h : NaN));
  if (store.size === 0 || scales.some((x) => !(x >= 1))) return;
  const margin = Math.max(...[...store.keys()].map((v) => reach.get(v) ?? Infinity));
  const to = { y0: Math.max(region.y0, region.cy0 - margin), y1: Math.min(region.y1, region.cy1 + margin), x0: Math.max(region.x0, region.cx0 - margin), x1: Math.min(region.x1, region.cx1 + margin) };
  if (to.y0 === region.y0 && to.y1 === region.y1 && to.x0 === region.x0 && to.x1 === region.x1) return;
  [...store.entries()].forEach(([v, tensor], k) => {
    const s = scales[k]!;
    const [, C] = tensor.dims as [number, number, number, number];
    const [sw, nh, nw] = [w * s, (to.y1 - to.y0) * s, (to.x1 - to.x0) * s];
    const data = tensor.data as Data;
    const out = new (data.constructor as new (n: number) => Data)(C * nh * nw);
    for (let c = 0; c < C; c++)
      for (let y = 0; y < nh; y++) {
        const from = (c * h * s + (to.y0 - region.y0) * s + y) * sw + (to.x0 - region.x0) * s;
        out.set(data.subarray(from, from + nw), (c * nh + y) * nw);
      }
    store.set(v, new ort.Tensor(tensor.type as "float32", out as Float32Array, [1, C, nh, nw]));
  });
  Object.assign(region, to);
}

/** Rows [r0, r1) along axis -2. */
function rowSlice(tensor: ort.Tensor, r0: number, r1: number): ort.Tensor {
  const dims = tensor.dims;
  const rows = dims[dims.length - 2]!;
  const width = dims[dims.length - 1]!;
  const lead = tensor.size / (rows * width);
  const data = tensor.data as Data;
  const out = new (data.constructor as new (n: number) => Data)(lead * (r1 - r0) * width);
  for (let l = 0; l < lead; l++) out.set(data.subarray((l * rows + r0) * width, (l * rows + r1) * width), l * (r1 - r0) * width);
  return new ort.Tensor(tensor.type as "float32", out as Float32Array, [...dims.slice(0, -2), r1 - r0, width]);
}

function rowConcat(parts: ort.Tensor[]): ort.Tensor {
  const dims = parts[0]!.dims;
  const width = dims[dims.length - 1]!;
  const counts = parts.map((p) => p.dims[p.dims.length - 2]!);
  const rows = counts.reduce((a, b) => a + b, 0);
  const lead = parts[0]!.size / (counts[0]! * width);
  const first = parts[0]!.data as Data;
  const out = new (first.constructor as new (n: number) => Data)(lead * rows * width);
  let r0 = 0;
  parts.forEach((p, k) => {
    const data = p.data as Data;
    const n = counts[k]!;
    for (let l = 0; l < lead; l++) out.set(data.subarray(l * n * width, (l + 1) * n * width), (l * rows + r0) * width);
    r0 += n;
  });
  return new ort.Tensor(parts[0]!.type as "float32", out as Float32Array, [...dims.slice(0, -2), rows, width]);
}

function latentTile(latents: Float32Array, width: number, height: number, tile: GridTile, type: ElementType): ort.Tensor {
  const h = tile.y1 - tile.y0;
  const w = tile.x1 - tile.x0;
  const channels = latents.length / (width * height);
  const data = new Float32Array(channels * h * w);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < h; y++) data.set(latents.subarray((c * height + tile.y0 + y) * width + tile.x0, (c * height + tile.y0 + y) * width + tile.x1), (c * h + y) * w);
  return type === "float16" ? new ort.Tensor("float16", float32ToHalfArray(data), [1, channels, h, w]) : new ort.Tensor("float32", data, [1, channels, h, w]);
}

function toFloat32(tensor: ort.Tensor): Float32Array {
  if (tensor.type === "float16") return halfArrayToFloat32(tensor.data as Uint16Array);
  if (tensor.type === "float32") return tensor.data as Float32Array;
  throw new Error(`decoder: unexpected ${tensor.type} value`);
}

/** The resolution of a tile's value relative to the latent: its spatial size over the tile's. */
function scaleOf(positions: number, tile: GridTile): number {
  const area = (tile.y1 - tile.y0) * (tile.x1 - tile.x0);
  const scale = Math.round(Math.sqrt(positions / area));
  if (scale < 1 || scale * scale * area !== positions) throw new Error(`decoder: a value with ${positions} positions does not match a ${tile.x1 - tile.x0} x ${tile.y1 - tile.y0} tile`);
  return scale;
}

/** Per-group sums over every core, then a = rstd·scale and b = bias - mean·a. */
function groupNorm(step: GroupNormStep, stores: readonly Map<string, ort.Tensor>[], grid: readonly GridTile[], canvas: Map<string, ort.Tensor>): void {
  const G = step.groups;
  const sum = new Float64Array(G);
  const squares = new Float64Array(G);
  let count = 0;
  stores.forEach((store, t) => {
    const tensor = store.get(step.input)!;
    // [1, C, h, w], or [1, C, h·w] (an attention's GroupNorm): positions row-major either way.
    const C = tensor.dims[1]!;
    const positions = tensor.size / C;
    const tile = grid[t]!;
    const s = scaleOf(positions, tile);
    const w = (tile.x1 - tile.x0) * s;
    const x = toFloat32(tensor);
    const perGroup = C / G;
    const [top, bottom, left, right] = [(tile.cy0 - tile.y0) * s, (tile.cy1 - tile.y0) * s, (tile.cx0 - tile.x0) * s, (tile.cx1 - tile.x0) * s];
    for (let c = 0; c < C; c++) {
      const g = Math.floor(c / perGroup);
      let s1 = 0;
      let s2 = 0;
      for (let y = top; y < bottom; y++) {
        const row = c * positions + y * w;
        for (let i = row + left; i < row + right; i++) {
          const v = x[i]!;
          s1 += v;
          s2 += v * v;
        }
      }
      sum[g]! += s1;
      squares[g]! += s2;
    }
    count += perGroup * (bottom - top) * (right - left);
  });
  const a = new Float32Array(G);
  const b = new Float32Array(G);
  for (let g = 0; g < G; g++) {
    const mean = sum[g]! / count;
    const variance = Math.max(0, squares[g]! / count - mean * mean);
    const factor = step.scale[g]! / Math.sqrt(variance + step.epsilon);
    a[g] = factor;
    b[g] = step.bias[g]! - mean * factor;
  }
  canvas.set(step.a, new ort.Tensor("float32", a, [1, G, 1]));
  canvas.set(step.b, new ort.Tensor("float32", b, [1, G, 1]));
}

/** Every core's positions of the value, in one canvas-wide tensor (positions row-major at the value's resolution). */
function gather(step: GatherStep, stores: readonly Map<string, ort.Tensor>[], grid: readonly GridTile[], width: number, height: number): ort.Tensor {
  let out: Data | undefined;
  let dims: number[] = [];
  stores.forEach((store, t) => {
    const tensor = store.get(step.value)!;
    const tile = grid[t]!;
    const axis = tensor.dims.length + step.axis;
    const positions = tensor.dims[axis]!;
    const s = scaleOf(positions, tile);
    const W = width * s;
    const all = W * height * s;
    // [lead, positions, inner]: inner is 1 for axis -1, the last dimension for axis -2.
    const inner = step.axis === -1 ? 1 : tensor.dims[tensor.dims.length - 1]!;
    const lead = tensor.size / (positions * inner);
    const data = tensor.data as Data;
    if (!out) {
      out = new (data.constructor as new (n: number) => Data)(lead * all * inner);
      dims = tensor.dims.map((d, i) => (i === axis ? all : d));
    }
    const w = (tile.x1 - tile.x0) * s;
    const run = (tile.cx1 - tile.cx0) * s * inner;
    for (let l = 0; l < lead; l++)
      for (let y = tile.cy0 * s; y < tile.cy1 * s; y++) {
        const from = (l * positions + (y - tile.y0 * s) * w + (tile.cx0 - tile.x0) * s) * inner;
        out.set(data.subarray(from, from + run), (l * all + y * W + tile.cx0 * s) * inner);
      }
  });
  return new ort.Tensor(stores[0]!.get(step.value)!.type as "float32", out as Float32Array, dims);
}
