import { parentPort, type MessagePort } from "node:worker_threads";
import type { Plan } from "../compiler/plan/plan.js";
import type { LatentPreview } from "./latent-preview.js";
import { RenderCancelled } from "./mixture.js";
import { StaleGuideError } from "./guides/guide-image.js";
import { ModelError } from "./model/model-error.js";
import type { DeviceRequest } from "./model/device-request.js";
import { OnnxDiffusionModel } from "./model/onnx-model.js";
import { modelSource, type ModelLocation } from "./model/resolve-model.js";
import { renderCaches, renderPlan, type DecodeSettings, type RenderCaches, type RenderProgress } from "./render.js";

/**
 * The render worker: ONNX Runtime's `run` blocks its thread, so inference lives here and the
 * main thread stays free for progress, Ctrl-C and watch mode. The loaded model and its prompt
 * embeddings stay in memory between renders.
 *
 * The worker is never terminated from outside: a thread cut off inside one of ONNX Runtime's
 * native calls (`InferenceSession.create`, `run`, `release`) aborts the whole process
 * ("terminate called after throwing an instance of 'Napi::Error'"). It is asked to `close`
 * instead: it lets the render in flight settle, releases its sessions and ends by itself.
 */
export type WorkerRequest = RenderRequest | { type: "close" };

export type RenderRequest = {
  type: "render";
  id: number;
  plan: Plan;
  model: ModelLocation;
  /** The folder the plan's guide paths are relative to. */
  folder: string;
  device: DeviceRequest;
  /** Pass Dawn's and ONNX Runtime's own messages on (as `diagnostics` messages): `--verbose`. */
  verbose?: boolean;
  batch: number;
  decode?: DecodeSettings;
  /** Send the final latents back with the picture. */
  keepLatents?: boolean;
  /** Send a `preview` message (latent-preview.ts) every this many steps. */
  preview?: { every: number; maxSide?: number };
  /** Int32Array over a SharedArrayBuffer: element 0 becomes non-zero to cancel. */
  cancel: SharedArrayBuffer;
};

export type WorkerMessage =
  | { type: "progress"; id: number; progress: RenderProgress }
  | { type: "warning"; id: number; message: string }
  /** After a model is loaded: the device it runs on and why (device.ts). */
  | { type: "device"; id: number; description: string; software: boolean }
  | { type: "diagnostics"; id: number; text: string }
  | { type: "preview"; id: number; preview: LatentPreview }
  | { type: "done"; id: number; width: number; height: number; rgb: Uint8Array; latents?: Float32Array; textEncodings: number; guideEncodings: number }
  | { type: "error"; id: number; name: string; message: string; file?: string };

let loaded: { key: string; model: OnnxDiffusionModel; caches: RenderCaches } | undefined;

async function modelFor(location: ModelLocation, device: DeviceRequest, warn: (message: string) => void, diagnostics?: (text: string) => void) {
  const key = JSON.stringify([location, device]);
  if (loaded?.key === key) return { ...loaded, fresh: false };
  await loaded?.model.release();
  loaded = undefined;
  const model = await OnnxDiffusionModel.load(modelSource(location), { device, onWarning: warn, ...(diagnostics ? { onDiagnostics: diagnostics } : {}) });
  loaded = { key, model, caches: renderCaches(model) };
  return { ...loaded, fresh: true };
}

if (!parentPort) throw new Error("render-worker.js must run as a worker thread");
const port: MessagePort = parentPort;

/** The render in flight (one at a time: render-client.ts sends the next only after this one's answer). */
let rendering: Promise<void> = Promise.resolve();

port.on("message", (request: WorkerRequest) => {
  if (request.type === "close") void close();
  else rendering = render(request);
});

/** After the render in flight (cancelled by the client) settles: release the sessions, then let the thread end. */
async function close(): Promise<void> {
  await rendering;
  const model = loaded?.model;
  loaded = undefined;
  await model?.release().catch(() => undefined);
  port.close();
}

async function render(request: RenderRequest): Promise<void> {
  const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const flag = new Int32Array(request.cancel);
  const shouldStop = () => Atomics.load(flag, 0) !== 0;
  const warn = (message: string) => post({ type: "warning", id: request.id, message });
  try {
    // Loading can take seconds: a render cancelled before it, or during it, goes no further.
    if (shouldStop()) throw new RenderCancelled();
    const diagnostics = request.verbose ? (text: string) => post({ type: "diagnostics", id: request.id, text }) : undefined;
    const { model, caches, fresh } = await modelFor(request.model, request.device, warn, diagnostics);
    if (fresh) post({ type: "device", id: request.id, description: model.device.description, software: model.device.software });
    if (shouldStop()) throw new RenderCancelled();
    const before = caches.texts.size;
    const encodesBefore = caches.guides.encodes;
    const image = await renderPlan(request.plan, model, caches, {
      folder: request.folder,
      batch: request.batch,
      ...(request.decode ? { decode: request.decode } : {}),
      ...(request.keepLatents ? { keepLatents: true } : {}),
      onProgress: (progress) => post({ type: "progress", id: request.id, progress }),
      onWarning: warn,
      shouldStop,
      ...(request.preview
        ? { preview: { ...request.preview, onPreview: (preview: LatentPreview) => post({ type: "preview", id: request.id, preview }, [preview.rgb.buffer as ArrayBuffer]) } }
        : {}),
    });
    const { width, height, rgb, latents } = image;
    const transfer = [rgb.buffer as ArrayBuffer, ...(latents ? [latents.buffer as ArrayBuffer] : [])];
    post({ type: "done", id: request.id, width, height, rgb, ...(latents ? { latents } : {}), textEncodings: caches.texts.size - before, guideEncodings: caches.guides.encodes - encodesBefore }, transfer);
  } catch (error) {
    const e = error as Error;
    post({ type: "error", id: request.id, name: e instanceof RenderCancelled ? "RenderCancelled" : e instanceof ModelError ? "ModelError" : e instanceof StaleGuideError ? "StaleGuideError" : e.name, message: e.message, ...(e instanceof ModelError && e.file ? { file: e.file } : {}) });
  }
}
