/**
 * The render worker's shutdown (src/runtime/render-client.ts): `close` at any moment of a render
 * (the model loading, the text encoding, a UNet call, the decode) ends the worker without
 * aborting the process. A thread cut off inside an ONNX Runtime call aborts it ("terminate called
 * after throwing an instance of 'Napi::Error'", exit 134), so the renders run in a child process
 * whose exit status is the verdict.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/scenec-cli.js";

const dist = (module: string) => pathToFileURL(path.join(ROOT, "dist/src", module)).href;

/** In the child: one Renderer per moment, closed at that moment of a 1000-step render; prints what each render ended with. */
const CHILD = `
import { Renderer } from "${dist("runtime/render-client.js")}";
import { compile } from "${dist("compiler/compile.js")}";
import { nodeHost } from "${dist("compiler/node-host.js")}";
const text = "canvas 64 x 64\\nsteps 1000\\nscheduler euler\\nregion r {\\n  at 0, 0\\n  size 64 x 64\\n  prompt \\"red\\"\\n}\\n";
const plan = compile(text, { path: "t.scene", host: nodeHost }).plan;
const moments = {
  posted: () => true,
  text: (p) => p.phase === "text",
  "first step": (p) => p.phase === "denoise",
  "step 500": (p) => p.phase === "denoise" && p.step.step === 500,
  decode: (p) => p.phase === "decode",
};
const ended = {};
for (const [moment, now] of Object.entries(moments)) {
  const renderer = new Renderer();
  let closing;
  const close = () => (closing ??= renderer.close());
  const result = renderer
    .render({ plan, model: { kind: "builtin" }, folder: ".", device: "cpu", batch: 1, onProgress: (p) => now(p) && close() })
    .then(() => "done", (error) => error.name);
  if (moment === "posted") close();
  ended[moment] = await result;
  await close();
}
console.log(JSON.stringify(ended));
`;

describe("Renderer.close", () => {
  it("ends the worker at any moment of a render, and the process exits normally", async () => {
    // A file, not \`node -e\`: the worker would inherit --input-type and refuse to start.
    const folder = mkdtempSync(path.join(tmpdir(), "scenec-close-"));
    const script = path.join(folder, "close.mjs");
    writeFileSync(script, CHILD);
    const child = spawn(process.execPath, [script], { cwd: folder, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
    rmSync(folder, { recursive: true, force: true });
    expect({ ...exit, stderr }).toEqual({ code: 0, signal: null, stderr: "" });
    const ended = JSON.parse(stdout) as Record<string, string>;
    // Closed before its last step, a render is cancelled; closed during the decode, it may finish.
    expect(ended).toMatchObject({ posted: "RenderCancelled", text: "RenderCancelled", "first step": "RenderCancelled", "step 500": "RenderCancelled" });
    expect(["RenderCancelled", "done"]).toContain(ended["decode"]);
  });
});
