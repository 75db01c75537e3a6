import { Worker } from "node:worker_threads";
import type { LatentPreview } from "./latent-preview.js";
import { RenderCancelled } from "./mixture.js";
import { ModelError } from "./model/model-error.js";
import type { RenderedImage, RenderProgress } from "./render.js";
import type { RenderRequest, WorkerMessage, WorkerRequest } from "./render-worker.js";

/** A render: what the worker is sent (plan, model, folder, device, …), plus the callbacks for its messages. */
export interface RenderJob extends Omit<RenderRequest, "type" | "id" | "cancel" | "preview"> {
  onProgress?: (progress: RenderProgress) => void;
  onWarning?: (message: string) => void;
  /** When the worker loads the model: the device it runs on and why (not again while it stays loaded). */
  onDevice?: (description: string, software: boolean) => void;
  /** Dawn's and ONNX Runtime's own messages, with `verbose`. */
  onDiagnostics?: (text: string) => void;
  /** Live previews of the render (latent-preview.ts), computed in the worker every `every` steps. */
  preview?: NonNullable<RenderRequest["preview"]> & { onPreview: (preview: LatentPreview) => void };
}

/**
 * The main thread's side of the render worker: one render at a time, cancellable between UNet
 * calls. The worker (and the model it holds) lives until `close`.
 */
export class Renderer {
  private worker: Worker | undefined;
  /** Resolves when the worker has ended: `close` waits for it (at once when the worker has already ended). */
  private exited: Promise<void> = Promise.resolve();
  private nextId = 1;
  private current: { id: number; cancel: Int32Array } | undefined;

  private ensureWorker(): Worker {
    if (!this.worker) {
      const worker = new Worker(new URL("./render-worker.js", import.meta.url));
      this.exited = new Promise((resolve) =>
        worker.once("exit", () => {
          if (this.worker === worker) this.worker = undefined;
          resolve();
        }),
      );
      this.worker = worker;
    }
    return this.worker;
  }

  render(job: RenderJob): Promise<RenderedImage & { textEncodings: number; guideEncodings: number }> {
    if (this.current) return Promise.reject(new Error("a render is already running"));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const cancel = new SharedArrayBuffer(4);
    this.current = { id, cancel: new Int32Array(cancel) };
    return new Promise((resolve, reject) => {
      const finish = () => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        this.current = undefined;
      };
      const onMessage = (message: WorkerMessage) => {
        if (message.id !== id) return;
        switch (message.type) {
          case "progress":
            job.onProgress?.(message.progress);
            break;
          case "warning":
            job.onWarning?.(message.message);
            break;
          case "device":
            job.onDevice?.(message.description, message.software);
            break;
          case "diagnostics":
            job.onDiagnostics?.(message.text);
            break;
          case "preview":
            job.preview?.onPreview(message.preview);
            break;
          case "done":
            finish();
            resolve({
              width: message.width,
              height: message.height,
              rgb: message.rgb,
              ...(message.latents ? { latents: message.latents } : {}),
              textEncodings: message.textEncodings,
              guideEncodings: message.guideEncodings,
            });
            break;
          case "error": {
            finish();
            if (message.name === "RenderCancelled") reject(new RenderCancelled());
            else if (message.name === "ModelError") reject(new ModelError(message.message, message.file));
            else reject(Object.assign(new Error(message.message), { name: message.name }));
            break;
          }
        }
      };
      const onError = (error: Error) => {
        finish();
        this.worker = undefined;
        reject(error);
      };
      const onExit = (code: number) => {
        finish();
        reject(new Error(`the render worker stopped (exit code ${code})`));
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      const request: RenderRequest = {
        type: "render",
        id,
        plan: job.plan,
        model: job.model,
        folder: job.folder,
        device: job.device,
        ...(job.verbose ? { verbose: true } : {}),
        batch: job.batch,
        ...(job.decode ? { decode: job.decode } : {}),
        ...(job.keepLatents ? { keepLatents: true } : {}),
        ...(job.preview ? { preview: { every: job.preview.every, ...(job.preview.maxSide !== undefined ? { maxSide: job.preview.maxSide } : {}) } } : {}),
        cancel,
      };
      worker.postMessage(request);
    });
  }

  /** Asks the running render to stop at its next UNet call; its promise rejects with RenderCancelled. */
  cancel(): void {
    if (this.current) Atomics.store(this.current.cancel, 0, 1);
  }

  /**
   * Cancels the running render and ends the worker once that render has settled (at its next UNet
   * call, or when the native call in flight returns): never `worker.terminate()`, which aborts the
   * process when it lands inside ONNX Runtime (render-worker.ts).
   */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    this.cancel();
    const close: WorkerRequest = { type: "close" };
    worker.postMessage(close);
    await this.exited;
  }
}
