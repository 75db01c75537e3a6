import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { previewPage } from "./preview-page.js";
import type { PreviewRegions } from "./preview-regions.js";

/**
 * The live preview of `scenec watch --serve`: a small HTTP server (Node's own `http`), bound to
 * 127.0.0.1 by default, serving
 *
 * - `/`           the page (preview-page.ts);
 * - `/events`     Server-Sent Events: `state` (the whole {@link PreviewState}, on connect and on
 *                 every change) and `preview` (a small PNG of the render in progress, as a data URL);
 * - `/image.png`  the latest picture, as last written to disk;
 * - `/layout.png` who owns each pixel in the scene being rendered (layout-image.ts), which the
 *                 page overlays on the picture; a `layout` event carries its version;
 * - `/regions.json` where each region and guide of that scene lies (preview-regions.ts), from which
 *                 the page outlines the one under the editor's cursor; a `regions` event carries its version.
 *
 * Only requests whose Host is the loopback address or `localhost` are answered (a web page on
 * another site cannot reach the server through DNS rebinding).
 */

export type PreviewStatus = "starting" | "rendering" | "ok" | "errors" | "failed" | "missing";

export interface PreviewState {
  /** The scene, as the user named it. */
  scene: string;
  /** The output PNG's path, for display. */
  output: string;
  status: PreviewStatus;
  /** One line for humans: what is happening, or why the picture is stale. */
  message: string;
  /** True when the picture shown is not the scene as it is now (errors, a failed render, a missing file). */
  stale: boolean;
  /** The latest picture: `/image.png?v=VERSION`. */
  image: { version: number; width: number; height: number; renderedAt: string; renderMs: number } | null;
  /** The current diagnostics as text (code frames, no colour), or null. */
  diagnostics: string | null;
  /** The render in progress: steps taken. */
  progress: { step: number; steps: number } | null;
}

export interface PreviewFrame {
  step: number;
  steps: number;
  width: number;
  height: number;
  /** A PNG. */
  png: Uint8Array;
}

const ALLOWED_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export class PreviewServer {
  private readonly server: Server;
  private readonly clients = new Set<ServerResponse>();
  private state: PreviewState;
  private image: Uint8Array | undefined;
  private layout: { png: Uint8Array; version: number } | undefined;
  private regions: { json: string; version: number } | undefined;
  private lastPreview: string | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(initial: PreviewState) {
    this.state = initial;
    this.server = createServer((request, response) => this.handle(request, response));
  }

  /** Starts listening; resolves with the page's URL. Port 0 picks a free port. */
  listen(port: number, host = "127.0.0.1"): Promise<string> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once("error", onError);
      this.server.listen(port, host, () => {
        this.server.off("error", onError);
        const address = this.server.address() as AddressInfo;
        const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
        this.heartbeat = setInterval(() => this.broadcast(": keep-alive\n\n"), 15_000);
        this.heartbeat.unref();
        resolve(`http://${shown}:${address.port}/`);
      });
    });
  }

  /** Replaces the state and sends it to every page. */
  publish(state: PreviewState): void {
    this.state = state;
    if (state.status !== "rendering") this.lastPreview = undefined;
    this.broadcast(event("state", state));
  }

  /** The new picture (the PNG file's bytes), served at /image.png from now on. */
  setImage(png: Uint8Array): void {
    this.image = png;
  }

  /** The layout map of the plan being rendered, served at /layout.png from now on. */
  setLayout(png: Uint8Array): void {
    this.layout = { png, version: (this.layout?.version ?? 0) + 1 };
    this.broadcast(event("layout", { version: this.layout.version }));
  }

  /** The geometry of the plan being rendered, served at /regions.json from now on. */
  setRegions(regions: PreviewRegions): void {
    this.regions = { json: JSON.stringify(regions), version: (this.regions?.version ?? 0) + 1 };
    this.broadcast(event("regions", { version: this.regions.version }));
  }

  /** A preview of the render in progress. */
  preview(frame: PreviewFrame): void {
    const data = { step: frame.step, steps: frame.steps, width: frame.width, height: frame.height, url: `data:image/png;base64,${Buffer.from(frame.png).toString("base64")}` };
    this.lastPreview = event("preview", data);
    this.broadcast(this.lastPreview);
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const client of this.clients) client.end();
    this.clients.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private broadcast(text: string): void {
    for (const client of this.clients) client.write(text);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const host = (request.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
    if (!ALLOWED_HOSTS.has(host)) return plain(response, 403, "forbidden: the preview answers on 127.0.0.1 and localhost only\n");
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("Allow", "GET, HEAD");
      return plain(response, 405, "method not allowed\n");
    }
    const pathname = pathOf(request.url ?? "/");
    if (pathname === undefined) return plain(response, 400, "bad request: the path is not a valid URL\n");
    switch (pathname) {
      case "/":
      case "/index.html": {
        const body = previewPage(this.state.scene);
        response.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(body) });
        response.end(request.method === "HEAD" ? undefined : body);
        return;
      }
      case "/events": {
        response.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", Connection: "keep-alive", "X-Accel-Buffering": "no" });
        if (request.method === "HEAD") return void response.end();
        response.write("retry: 1000\n\n");
        response.write(event("state", this.state));
        if (this.layout) response.write(event("layout", { version: this.layout.version }));
        if (this.regions) response.write(event("regions", { version: this.regions.version }));
        if (this.lastPreview && this.state.status === "rendering") response.write(this.lastPreview);
        this.clients.add(response);
        const drop = () => this.clients.delete(response);
        request.on("close", drop);
        response.on("close", drop);
        return;
      }
      case "/image.png": {
        if (!this.image) return plain(response, 404, "no picture yet\n");
        response.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "no-store", "Content-Length": this.image.length });
        response.end(request.method === "HEAD" ? undefined : this.image);
        return;
      }
      case "/layout.png": {
        if (!this.layout) return plain(response, 404, "no layout yet\n");
        response.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "no-store", "Content-Length": this.layout.png.length });
        response.end(request.method === "HEAD" ? undefined : this.layout.png);
        return;
      }
      case "/regions.json": {
        if (!this.regions) return plain(response, 404, "no regions yet\n");
        response.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(this.regions.json) });
        response.end(request.method === "HEAD" ? undefined : this.regions.json);
        return;
      }
      default:
        return plain(response, 404, "not found\n");
    }
  }
}

/** The request target's path, or undefined when it is not a valid URL (`GET http://[`, `GET //[`): a stranger's request must not stop the server. */
function pathOf(target: string): string | undefined {
  try {
    return new URL(target, "http://localhost").pathname;
  } catch {
    return undefined;
  }
}

function event(name: string, data: unknown): string {
  // JSON.stringify never produces a raw newline, so the data is one `data:` line.
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}
