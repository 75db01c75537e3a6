/** The preview server of `scenec watch --serve`, in-process: the page, the picture, the event stream. */
import { request } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PreviewServer, type PreviewState } from "../src/cli/watch/preview-server.js";
import { previewPage } from "../src/cli/watch/preview-page.js";
import { previewRegions } from "../src/cli/watch/preview-regions.js";
import { compileScene } from "./helpers/render-helpers.js";

const STATE: PreviewState = {
  scene: "s.scene",
  output: "s.png",
  status: "starting",
  message: "starting",
  stale: false,
  image: null,
  diagnostics: null,
  progress: null,
};

let server: PreviewServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<string> {
  server = new PreviewServer(STATE);
  return server.listen(0);
}

/** Reads Server-Sent Events from a stream: each `{ event, data }` as it arrives. */
async function* events(url: string, signal: AbortSignal): AsyncGenerator<{ event: string; data: unknown }> {
  const response = await fetch(url, { signal });
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) yield { event, data: JSON.parse(data) };
    }
  }
}

describe("PreviewServer", () => {
  it("listens on 127.0.0.1 and serves the page", async () => {
    const url = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    expect(html).toContain('new EventSource("/events")');
    expect(html).toContain("<title>s.scene · scenec watch</title>");
    expect((await fetch(new URL("/nothing", url))).status).toBe(404);
    expect((await fetch(url, { method: "POST" })).status).toBe(405);
  });

  it("serves the latest picture once there is one", async () => {
    const url = await start();
    expect((await fetch(new URL("/image.png", url))).status).toBe(404);
    server!.setImage(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    const response = await fetch(new URL("/image.png?v=1", url));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
  });

  it("serves the layout overlay, announced by a `layout` event with its version, and offers the toggle on the page", async () => {
    const url = await start();
    expect((await fetch(new URL("/layout.png", url))).status).toBe(404);
    expect(await (await fetch(url)).text()).toContain('<input type="checkbox" id="show-layout">');
    const abort = new AbortController();
    const stream = events(new URL("/events", url).href, abort.signal);
    try {
      expect((await stream.next()).value).toMatchObject({ event: "state" });
      server!.setLayout(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 7]));
      expect((await stream.next()).value).toEqual({ event: "layout", data: { version: 1 } });
      const response = await fetch(new URL("/layout.png?v=1", url));
      expect(response.headers.get("content-type")).toBe("image/png");
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 7]));
    } finally {
      abort.abort();
    }
  });

  it("serves where each region lies at /regions.json, announced by a `regions` event, as the plan names them", async () => {
    const plan = compileScene(`canvas 512 x 256
region sky { at 0, 0 size 512 x 128 prompt "sky" }
region hill { at 64, 64 size 128 x 64 prompt "hill" shape polygon (0, 64) (64, 0) (128, 64) }
grid g { at 0, 128 tile 256 x 128 columns 2 rows 1 overlap 0 x 0 prompt "field" }
`);
    const url = await start();
    expect((await fetch(new URL("/regions.json", url))).status).toBe(404);
    const abort = new AbortController();
    const stream = events(new URL("/events", url).href, abort.signal);
    try {
      expect((await stream.next()).value).toMatchObject({ event: "state" });
      server!.setRegions(previewRegions(plan));
      expect((await stream.next()).value).toEqual({ event: "regions", data: { version: 1 } });
      const response = await fetch(new URL("/regions.json?v=1", url));
      expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(await response.json()).toEqual({
        canvas: { width: 512, height: 256 },
        paints: [
          { name: "sky", rect: { x: 0, y: 0, width: 512, height: 128 } },
          { name: "hill", rect: { x: 64, y: 64, width: 128, height: 64 }, shape: { kind: "polygon", points: [{ x: 0, y: 64 }, { x: 64, y: 0 }, { x: 128, y: 64 }], feather: expect.any(Number), invert: false } },
          { name: "g[0,0]", rect: { x: 0, y: 128, width: 256, height: 128 } },
          { name: "g[1,0]", rect: { x: 256, y: 128, width: 256, height: 128 } },
        ],
        guides: [],
      });
    } finally {
      abort.abort();
    }
    // A page that connects later learns the version at once.
    const late = new AbortController();
    const again = events(new URL("/events", url).href, late.signal);
    try {
      await again.next();
      expect((await again.next()).value).toEqual({ event: "regions", data: { version: 1 } });
    } finally {
      late.abort();
    }
  });

  it("sends the state on connect, then every change and every preview, as Server-Sent Events", async () => {
    const url = await start();
    const abort = new AbortController();
    const stream = events(new URL("/events", url).href, abort.signal);
    try {
      expect((await stream.next()).value).toEqual({ event: "state", data: STATE });
      const rendering: PreviewState = { ...STATE, status: "rendering", message: "rendering: step 2/20", progress: { step: 2, steps: 20 } };
      server!.publish(rendering);
      expect((await stream.next()).value).toEqual({ event: "state", data: rendering });
      server!.preview({ step: 2, steps: 20, width: 2, height: 1, png: new Uint8Array([1, 2, 3]) });
      expect((await stream.next()).value).toEqual({ event: "preview", data: { step: 2, steps: 20, width: 2, height: 1, url: "data:image/png;base64,AQID" } });
      const broken: PreviewState = { ...STATE, status: "errors", stale: true, message: "s.png is stale: the scene has errors", diagnostics: "s.scene:1:1: error[S1001]: …\n" };
      server!.publish(broken);
      expect((await stream.next()).value).toEqual({ event: "state", data: broken });
    } finally {
      abort.abort();
    }
  });

  it("answers only requests addressed to the loopback host (no DNS rebinding)", async () => {
    const url = new URL(await start());
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: url.port, path: "/", headers: { Host: `evil.example:${url.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
    expect((await fetch(`http://localhost:${url.port}/`)).status).toBe(200);
  });

  it.each(["GET http://[ HTTP/1.1", "GET //[ HTTP/1.1", "GET http://127.0.0.1:99999/ HTTP/1.1"])("answers the malformed request `%s` with 400 and keeps serving", async (line) => {
    const url = new URL(await start());
    const reply = await new Promise<string>((resolve, reject) => {
      let text = "";
      const socket = connect(Number(url.port), "127.0.0.1", () => socket.end(`${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
      socket.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain("bad request: the path is not a valid URL");
    expect((await fetch(url)).status).toBe(200);
  });

  it("closes with clients still connected", async () => {
    const url = await start();
    const abort = new AbortController();
    const stream = events(new URL("/events", url).href, abort.signal);
    await stream.next();
    await server!.close();
    server = undefined;
    expect((await stream.next()).done).toBe(true);
  });
});

describe("previewPage", () => {
  it("escapes the scene name", () => {
    const html = previewPage('<b>"x"</b>.scene');
    expect(html).not.toContain("<b>");
    expect(html).toContain("&#60;b&#62;&#34;x&#34;&#60;/b&#62;.scene");
  });
});
