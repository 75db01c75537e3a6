import sharp from "sharp";
import { imageFormatOf } from "../../compiler/check/project-root.js";
import { removeStaleTempFiles } from "../../runtime/image/atomic-write.js";
import { encodeImage, writeImageFile } from "../../runtime/image/image-write.js";
import { encodePng } from "../../runtime/image/png-write.js";
import type { LatentPreview } from "../../runtime/latent-preview.js";
import { RenderCancelled } from "../../runtime/mixture.js";
import type { DeviceRequest } from "../../runtime/model/device-request.js";
import type { RenderedImage } from "../../runtime/render.js";
import { Renderer } from "../../runtime/render-client.js";
import { describeFsError } from "../errors.js";
import { renderedImageText } from "../image-metadata.js";
import { layoutImage } from "../layout-image.js";
import { previewRegions } from "./preview-regions.js";
import type { PreviewServer } from "./preview-server.js";
import type { RenderJob } from "./scene-compiler.js";
import type { WatchEvent } from "./watch-machine.js";

/**
 * The machine's render, encode and write effects, on one Renderer (one worker, one loaded model,
 * its prompt and guide caches) for the whole session; what happens comes back as events.
 */
export class WatchRender {
  private readonly renderer = new Renderer();
  /** The render in flight: when it started, and its picture once rendered and encoded. */
  private flight: { job: RenderJob; started: number; rendered?: RenderedImage; png?: Uint8Array } | undefined;
  private previewBusy = false;

  constructor(
    private readonly options: {
      device: DeviceRequest;
      verbose?: boolean;
      batch: number;
      /** Bytes the VAE decode may use (default: tiled-decode.ts's). */
      decodeMemory?: number;
      /** A line for the terminal: the device the model runs on, and `--verbose`'s driver messages. */
      log(line: string): void;
      server?: PreviewServer;
      shown(file: string): string;
      dispatch(event: WatchEvent<RenderJob>): void;
      /** Whether `job` is still the render in progress (previews of another, or after a stop, are dropped). */
      renders(job: RenderJob): boolean;
    },
  ) {}

  /** Removes stale temporary files of the job's output, then starts its render. */
  start(job: RenderJob): void {
    const { dispatch, server } = this.options;
    try {
      removeStaleTempFiles(job.output);
      this.flight = { job, started: performance.now() };
      if (server) {
        server.setRegions(previewRegions(job.plan));
        this.showLayout(server, job);
      }
      this.renderer
        .render({
          plan: job.plan,
          model: job.model,
          folder: job.folder,
          device: this.options.device,
          ...(this.options.verbose ? { verbose: true, onDiagnostics: (text: string) => this.options.log(text.trimEnd()) } : {}),
          batch: this.options.batch,
          ...(this.options.decodeMemory !== undefined ? { decode: { memory: this.options.decodeMemory } } : {}),
          onDevice: (description) => this.options.log(`[watch] device: ${description}`),
          onProgress: (p) => {
            if (p.phase === "denoise" && p.step && p.step.tile === p.step.tiles) dispatch({ type: "step", job, step: p.step.step + 1, steps: p.step.steps });
            else if (p.phase === "decode" && p.done === 0) dispatch({ type: "decoding", job });
          },
          onWarning: (message) => dispatch({ type: "warning", job, message }),
          ...(server ? { preview: { every: Math.max(1, Math.round(job.steps / 10)), onPreview: (preview: LatentPreview) => this.preview(server, job, preview) } } : {}),
        })
        .then(
          (rendered) => {
            if (this.flight?.job === job) this.flight.rendered = rendered;
            dispatch({ type: "rendered", job });
          },
          (error: unknown) => dispatch(this.failure(job, error)),
        );
    } catch (error) {
      dispatch(this.failure(job, error));
    }
  }

  /** Encodes the rendered picture as the PNG the preview serves (and the file, when it is a PNG). */
  encode(job: RenderJob): void {
    const flight = this.flight!;
    const rendered = flight.rendered!;
    encodePng(rendered.rgb, rendered.width, rendered.height, renderedImageText({
        source: job.source,
        sourceKind: "scene",
        plan: job.plan,
        model: job.model,
        imports: job.imports,
        overrides: job.overrides,
        runtime: { device: this.options.device, batch: this.options.batch, decodeMemory: this.options.decodeMemory },
      })).then(
      (png) => {
        flight.png = png;
        this.options.dispatch({ type: "encoded", job });
      },
      (error: unknown) => this.options.dispatch(this.failure(job, error)),
    );
  }

  /** Writes the picture (atomically); the preview serves it once it is on disk. */
  write(job: RenderJob): void {
    const { started } = this.flight!;
    const rendered = this.flight!.rendered!;
    const png = this.flight!.png!;
    (async () => {
      await writeImageFile(job.output, imageFormatOf(job.output) === "png" ? png : await encodeImage(job.output, rendered.rgb, rendered.width, rendered.height, {}));
      const renderMs = performance.now() - started;
      this.options.server?.setImage(png);
      this.options.dispatch({ type: "written", job, width: rendered.width, height: rendered.height, renderMs, at: new Date() });
    })().catch((error: unknown) => this.options.dispatch(this.failure(job, error)));
  }

  /** Asks the render in progress to stop at its next step. */
  cancel(): void {
    this.renderer.cancel();
  }

  /** Ends the worker once its render has settled (never cut off: render-client.ts). */
  close(): Promise<void> {
    return this.renderer.close();
  }

  /** The page's layout overlay for the plan now rendering (no model: milliseconds). A layout that fails to draw is only a missing overlay. */
  private showLayout(server: PreviewServer, job: RenderJob): void {
    layoutImage(job.plan, job.folder).then(
      ({ png }) => {
        if (this.options.renders(job)) server.setLayout(png);
      },
      (error: unknown) => this.options.log(`warning: the preview's layout overlay: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  private preview(server: PreviewServer, job: RenderJob, preview: LatentPreview): void {
    if (this.previewBusy || !this.options.renders(job)) return; // never queue previews: drop one while the last is encoding
    this.previewBusy = true;
    sharp(preview.rgb, { raw: { width: preview.width, height: preview.height, channels: 3 } })
      .png({ compressionLevel: 1 })
      .toBuffer()
      .then((png) => {
        if (this.options.renders(job)) server.preview({ step: preview.step, steps: preview.steps, width: preview.width, height: preview.height, png });
      })
      .catch(() => {})
      .finally(() => (this.previewBusy = false));
  }

  /** The event a failed render, encode or write is. */
  private failure(job: RenderJob, error: unknown): WatchEvent<RenderJob> {
    if (error instanceof RenderCancelled) return { type: "cancelled", job };
    if (error instanceof Error && error.name === "StaleGuideError") return { type: "stale-guide", job };
    const code = (error as NodeJS.ErrnoException).code;
    const message = typeof code === "string" && code.startsWith("E") ? `cannot write ${this.options.shown(job.output)}: ${describeFsError(error)}` : error instanceof Error ? error.message : String(error);
    return { type: "failed", job, message };
  }
}
