import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { describe, expect, it, vi } from "vitest";
import { CursorFollower, REGION_AT_CURSOR, type HighlightTarget, type RegionAtCursorAnswer } from "../editors/vscode/src/cursor-follower.js";
import { HIGHLIGHT_MESSAGE, previewPageHtml } from "../editors/vscode/src/preview-page.js";
import { previewUrl, PreviewUrlReader } from "../editors/vscode/src/preview-url.js";
import { commandLine, describeScenec, LSP_NODE_FLAG, resolveScenec, SCENEC_NODE, type ScenecLookup } from "../editors/vscode/src/resolve-server.js";
import { SEMI_SPACE_FLAG } from "../src/cli/commands/lsp.js";
import { REGION_AT_CURSOR as SERVER_REGION_AT_CURSOR } from "../src/lsp/region-at-cursor.js";
import { writeImage } from "./helpers/guide-helpers.js";
import { runMain } from "./helpers/scenec-main.js";
import { atomicSave, ROOT, waitUntil, WatchProcess } from "./helpers/watch-process.js";

const manifest = JSON.parse(readFileSync("editors/vscode/package.json", "utf8")) as {
  engines: { vscode: string };
  contributes: {
    problemPatterns: { name: string; regexp: string; file: number; line: number; column: number; severity: number; code: number; message: number }[];
    problemMatchers: { name: string; pattern: string; background?: { beginsPattern: string; endsPattern: string } }[];
    languages: { id: string; extensions: string[]; configuration: string; icon: { light: string; dark: string } }[];
    grammars: { language: string; scopeName: string; path: string }[];
    commands: { command: string; title: string; category: string }[];
    configuration: { properties: Record<string, unknown> };
  };
};

/** Regions, a shaped one and a grid: what the highlight test outlines. */
const HIGHLIGHT_SCENE = `canvas 256 x 128
steps 4
scheduler euler
seed 5
region left { at 0, 0 size 128 x 128 prompt "red" }
region sky { at 128, 0 size 128 x 64 prompt "blue" }
region sun { at 160, 8 size 64 x 48 prompt "a sun" shape ellipse weight 3 }
grid g { at 128, 64 tile 64 x 64 columns 2 rows 1 overlap 0 x 0 prompt "tiles" }
guide "sketch.png" { at 16, 32 size 64 x 64 strength 0.5 }
`;

/** Debian's Chromium, as test/preview-browser.test.ts drives it (`.ci/run` installs it). */
const CHROMIUM = "/usr/bin/chromium";

function lookup(files: string[], overrides: Partial<ScenecLookup> = {}): ScenecLookup {
  return {
    setting: undefined,
    workspaceFolders: ["/work/project"],
    extensionPath: "/ext/scenec",
    platform: "linux",
    nodePath: "/opt/code/code",
    nodeVersion: "22.15.1",
    isFile: (file) => files.includes(file),
    ...overrides,
  };
}

describe("which scenec the extension runs", () => {
  it("prefers the workspace's own scenec to the bundled one and PATH", () => {
    const program = resolveScenec(lookup(["/work/project/node_modules/.bin/scenec", "/ext/scenec/server/bin/scenec.js"]));
    expect(program).toMatchObject({ source: "workspace", command: "/work/project/node_modules/.bin/scenec", args: [], shell: false });
  });

  it("looks in every workspace folder, in order", () => {
    const program = resolveScenec(lookup(["/b/node_modules/.bin/scenec"], { workspaceFolders: ["/a", "/b"] }));
    expect(program.command).toBe("/b/node_modules/.bin/scenec");
  });

  it("runs the bundled scenec on the editor's own Node when the workspace has none", () => {
    const program = resolveScenec(lookup(["/ext/scenec/server/bin/scenec.js"]));
    expect(program).toMatchObject({ source: "bundled", command: "/opt/code/code", args: ["/ext/scenec/server/bin/scenec.js"], env: { ELECTRON_RUN_AS_NODE: "1" } });
  });

  it("runs a scenec script with `node` on PATH when the editor's Node is older than scenec's", () => {
    const rootManifest = JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string } };
    expect(rootManifest.engines.node).toBe(`>=${SCENEC_NODE}`);
    const bundled = ["/ext/scenec/server/bin/scenec.js"];
    expect(resolveScenec(lookup(bundled, { nodeVersion: "18.17.1" }))).toMatchObject({ command: "node", args: bundled, env: {} });
    expect(resolveScenec(lookup(bundled, { nodeVersion: "20.18.3" })).command).toBe("node");
    expect(resolveScenec(lookup(bundled, { nodeVersion: "20.19.0" })).command).toBe("/opt/code/code");
    expect(resolveScenec(lookup(bundled, { nodeVersion: "21.0.0" })).command).toBe("/opt/code/code");
  });

  it("falls back to scenec on PATH", () => {
    expect(resolveScenec(lookup([]))).toMatchObject({ source: "path", command: "scenec", args: [] });
  });

  it("takes the scenec.path setting over everything, a relative path from the workspace folder", () => {
    const files = ["/work/project/node_modules/.bin/scenec"];
    expect(resolveScenec(lookup(files, { setting: "tools/scenec" }))).toMatchObject({ source: "setting", command: "/work/project/tools/scenec" });
    expect(resolveScenec(lookup(files, { setting: "/usr/local/bin/scenec" })).command).toBe("/usr/local/bin/scenec");
    // A bare name is a program on PATH, not a file in the workspace.
    expect(resolveScenec(lookup(files, { setting: "scenec-dev" })).command).toBe("scenec-dev");
    // A checkout's bin/scenec.js runs on Node.
    expect(resolveScenec(lookup(files, { setting: "../scenec/bin/scenec.js" }))).toMatchObject({ command: "/opt/code/code", args: ["/work/scenec/bin/scenec.js"] });
  });

  it("names the scenec it tried in messages, so the user knows what to change", () => {
    expect(describeScenec(resolveScenec(lookup([], { setting: "tools/scenec" })))).toBe("the scenec set in `scenec.path` (/work/project/tools/scenec)");
    expect(describeScenec(resolveScenec(lookup(["/work/project/node_modules/.bin/scenec"])))).toBe("the workspace's scenec (/work/project/node_modules/.bin/scenec)");
    expect(describeScenec(resolveScenec(lookup([])))).toBe("`scenec` on PATH");
  });

  it("ignores a blank setting", () => {
    expect(resolveScenec(lookup([], { setting: "  " })).source).toBe("path");
  });

  it("runs npm's .cmd shim through a shell on Windows, quoting what has spaces", () => {
    const shim = "C:\\My Project\\node_modules\\.bin\\scenec.cmd";
    const program = resolveScenec(lookup([shim], { platform: "win32", workspaceFolders: ["C:\\My Project"] }));
    expect(program).toMatchObject({ source: "workspace", command: `"${shim}"`, shell: true });
    const line = commandLine(program, ["watch", "C:\\My Project\\a b.scene", "--serve", "0"]);
    expect(line.args).toEqual(['watch', '"C:\\My Project\\a b.scene"', "--serve", "0"]);
  });

  it("puts scenec's arguments after the script of a Node-run scenec, unquoted without a shell", () => {
    const program = resolveScenec(lookup(["/ext/scenec/server/bin/scenec.js"]));
    expect(commandLine(program, ["watch", "/a b.scene"]).args).toEqual(["/ext/scenec/server/bin/scenec.js", "watch", "/a b.scene"]);
    expect(commandLine(resolveScenec(lookup([])), ["lsp", "--stdio"])).toEqual({ command: "scenec", args: ["lsp", "--stdio"], env: {}, shell: false });
  });

  it("gives Node's flags to the Node that runs a scenec script, and none to a scenec program", () => {
    const script = resolveScenec(lookup(["/ext/scenec/server/bin/scenec.js"]));
    expect(commandLine(script, ["lsp", "--stdio"], [LSP_NODE_FLAG]).args).toEqual([LSP_NODE_FLAG, "/ext/scenec/server/bin/scenec.js", "lsp", "--stdio"]);
    expect(commandLine(resolveScenec(lookup([])), ["lsp", "--stdio"], [LSP_NODE_FLAG]).args).toEqual(["lsp", "--stdio"]);
    // The flag `scenec lsp` would otherwise run itself again with.
    expect(LSP_NODE_FLAG).toBe(SEMI_SPACE_FLAG);
  });
});

describe("the preview URL that scenec watch prints", () => {
  it("is read from watch's status line", () => {
    expect(previewUrl("[watch] preview at http://127.0.0.1:40123/")).toBe("http://127.0.0.1:40123/");
    expect(previewUrl("[watch] preview at http://[::1]:8080/")).toBe("http://[::1]:8080/");
  });

  it("is not taken from other lines, nor from a page that is not on this machine", () => {
    expect(previewUrl("[watch] render started")).toBeUndefined();
    expect(previewUrl("scenes/a.scene:1:1: error[S1001]: see [watch] preview at http://127.0.0.1:1/")).toBeUndefined();
    expect(previewUrl("[watch] preview at http://example.com:80/")).toBeUndefined();
  });

  it("is found in output that arrives in pieces, once its line is whole", () => {
    const reader = new PreviewUrlReader();
    expect(reader.push("[watch] watching a.scene; Ctrl-C stops\n[watch] preview at http://127.0.0")).toBeUndefined();
    expect(reader.push(".1:5")).toBeUndefined();
    expect(reader.push("1234/\r\n[watch] render started\n")).toBe("http://127.0.0.1:51234/");
    expect(reader.output).toContain("watching a.scene");
  });

  it("is what `scenec watch --serve 0` prints, and closing its stdin stops it, as the extension does", async () => {
    // A broken scene: watch serves its diagnostics and renders nothing, so no model is needed.
    const watch = new WatchProcess(["test/fixtures/bad/blend-typo.scene", "--serve", "0"], ROOT, { stdin: "pipe" });
    try {
      const url = await waitUntil(() => new PreviewUrlReader().push(watch.stderr), "the preview URL", 30_000, () => watch.stderr);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      watch.closeStdin();
      expect(await watch.exited).toEqual({ code: 0, signal: null });
    } finally {
      if (watch.running) await watch.interrupt();
    }
  });
});

describe("the preview page", () => {
  it("frames the preview and lets the webview frame nothing else, and run only its own script", () => {
    const html = previewPageHtml("http://127.0.0.1:40123/", "Preview a.scene", "n0nce");
    expect(html).toContain('<iframe src="http://127.0.0.1:40123/"');
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'; frame-src http:\/\/127\.0\.0\.1:40123; style-src 'unsafe-inline'; script-src 'nonce-n0nce'">/);
    expect(html).toContain('<script nonce="n0nce">');
  });

  it("escapes the scene's name", () => {
    expect(previewPageHtml("http://127.0.0.1:1/", "Preview <b>.scene", "n")).toContain("Preview &#60;b&#62;.scene");
  });

  it.skipIf(!existsSync(CHROMIUM) && !process.env["CI"])("shows the live preview of a running watch in its frame, under its CSP (headless Chromium)", async () => {
    const watch = new WatchProcess(["test/fixtures/bad/blend-typo.scene", "--serve", "0"], ROOT, { stdin: "pipe" });
    // The webview's page comes from another origin than the preview's, as vscode-webview:// does.
    const webview = createServer((_request, response) => response.writeHead(200, { "content-type": "text/html" }).end(previewPageHtml(url, "Preview blend-typo.scene", "n0nce")));
    let url = "";
    let browser: Browser | undefined;
    try {
      url = await waitUntil(() => new PreviewUrlReader().push(watch.stderr), "the preview URL", 30_000, () => watch.stderr);
      await new Promise<void>((resolve) => webview.listen(0, "127.0.0.1", resolve));
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"], headless: true, timeout: 60_000 });
      const page = await browser.newPage();
      const refused: string[] = [];
      page.on("console", (message) => void (/Content Security Policy/i.test(message.text()) && refused.push(message.text())));
      await page.goto(`http://127.0.0.1:${(webview.address() as AddressInfo).port}/`);
      const frame = await waitUntil(() => page.frames().find((f) => f.url() === url), "the preview's frame");
      // The framed page runs its own script: the diagnostics arrive over its live connection.
      await frame.locator("#diagnostics").waitFor({ state: "visible", timeout: 30_000 });
      expect(await frame.locator("#diagnostics").textContent()).toContain("error[S2008]: unknown blend kernel `gausian`");
      expect(refused).toEqual([]);
    } finally {
      await browser?.close();
      webview.close();
      watch.closeStdin();
      await watch.exited;
    }
  }, 90_000);

  it.skipIf(!existsSync(CHROMIUM) && !process.env["CI"])("outlines the region the extension names, passed on by the webview, scaled to the picture as shown (headless Chromium)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "scenec-highlight-"));
    writeFileSync(path.join(dir, "s.scene"), HIGHLIGHT_SCENE);
    await writeImage(path.join(dir, "sketch.png"), 32, 32, () => [200, 40, 40]);
    const watch = new WatchProcess(["s.scene", "--serve", "0"], dir, { stdin: "pipe" });
    const webview = createServer((_request, response) => response.writeHead(200, { "content-type": "text/html" }).end(previewPageHtml(url, "Preview s.scene", "n0nce")));
    let url = "";
    let browser: Browser | undefined;
    try {
      await watch.waitForCount("render finished", 1, 60_000);
      url = await waitUntil(() => new PreviewUrlReader().push(watch.stderr), "the preview URL");
      await new Promise<void>((resolve) => webview.listen(0, "127.0.0.1", resolve));
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"], headless: true, timeout: 60_000 });
      // Narrower than the canvas: the picture is shown scaled down.
      const page = await browser.newPage({ viewport: { width: 220, height: 400 } });
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`http://127.0.0.1:${(webview.address() as AddressInfo).port}/`);
      const frame = await waitUntil(() => page.frames().find((f) => f.url() === url), "the preview's frame");
      await frame.waitForFunction(`document.getElementById("picture").dataset.version === "1"`, undefined, { timeout: 30_000 });
      /** As the extension's panel.webview.postMessage arrives: from the webview's own origin. */
      const post = (target: unknown) => page.evaluate(`window.postMessage(${JSON.stringify({ type: HIGHLIGHT_MESSAGE, target })}, window.origin)`);
      const box = async (selector: string) => (await frame.locator(selector).boundingBox())!;
      const expectOutline = async (name: string, rect: { x: number; y: number; width: number; height: number }) => {
        await frame.locator(`#highlight[data-name="${name}"]`).waitFor({ state: "visible", timeout: 10_000 });
        const picture = await box("#picture");
        const shown = await box("#highlight");
        const scale = picture.width / 256;
        expect(scale).toBeLessThan(1);
        expect(Math.abs(shown.x - (picture.x + rect.x * scale))).toBeLessThan(1);
        expect(Math.abs(shown.y - (picture.y + rect.y * scale))).toBeLessThan(1);
        expect(Math.abs(shown.width - rect.width * scale)).toBeLessThan(1);
        expect(Math.abs(shown.height - rect.height * scale)).toBeLessThan(1);
        expect(await frame.locator("#highlight-label").textContent()).toBe(name);
      };

      await post({ kind: "region", name: "sun" });
      await expectOutline("sun", { x: 160, y: 8, width: 64, height: 48 });
      // Its shape is drawn too, over the same box.
      const ellipse = await box("#highlight ellipse");
      const outline = await box("#highlight");
      expect(Math.abs(ellipse.width - outline.width)).toBeLessThan(3);

      // A grid: the bounds of its cells; one cell: its own rectangle.
      await post({ kind: "grid", name: "g" });
      await expectOutline("g", { x: 128, y: 64, width: 128, height: 64 });
      await post({ kind: "cell", name: "g[1,0]" });
      await expectOutline("g[1,0]", { x: 192, y: 64, width: 64, height: 64 });
      await post({ kind: "guide", name: "sketch.png", guide: 0 });
      await expectOutline("guide sketch.png", { x: 16, y: 32, width: 64, height: 64 });
      await post({ kind: "cell", name: "g[1,0]" });
      await expectOutline("g[1,0]", { x: 192, y: 64, width: 64, height: 64 });

      // Messages not from the webview, or not in the shape, change nothing; null clears.
      await frame.evaluate(`window.postMessage(${JSON.stringify({ type: HIGHLIGHT_MESSAGE, target: { kind: "region", name: "left" } })}, "*")`);
      await post({ kind: "bogus", name: "left" });
      await page.evaluate(`window.postMessage({ type: "other", target: null }, window.origin)`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await frame.locator("#highlight").getAttribute("data-name")).toBe("g[1,0]");
      await post(null);
      await frame.locator("#highlight").waitFor({ state: "hidden", timeout: 10_000 });

      // A save that moves the sun: the outline moves with the render of the new plan.
      await post({ kind: "region", name: "sun" });
      await expectOutline("sun", { x: 160, y: 8, width: 64, height: 48 });
      writeFileSync(path.join(dir, "s.scene"), HIGHLIGHT_SCENE.replace("at 160, 8", "at 136, 8"));
      await frame.waitForFunction(`document.getElementById("highlight").style.left === "${(100 * 136) / 256}%"`, undefined, { timeout: 30_000 });
      await expectOutline("sun", { x: 136, y: 8, width: 64, height: 48 });
      // A reloaded page is told again what to outline: the webview keeps the last message.
      await frame.evaluate("location.reload()");
      await frame.waitForFunction(`document.getElementById("picture").dataset.version === "2"`, undefined, { timeout: 30_000 });
      await expectOutline("sun", { x: 136, y: 8, width: 64, height: 48 });
      expect(errors).toEqual([]);
    } finally {
      await browser?.close();
      webview.close();
      watch.closeStdin();
      await watch.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("following the cursor into the preview", () => {
  /** A follower whose server answers from `answers` (by line), with what it showed. */
  function follower(answers: Record<number, RegionAtCursorAnswer>, delay = 0) {
    const shown: [string, HighlightTarget | null][] = [];
    const asked: number[] = [];
    const f = new CursorFollower({
      delayMs: 100,
      ask: async (_uri, { line }) => {
        asked.push(line);
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (!(line in answers)) throw new Error("the server is restarting");
        return answers[line]!;
      },
      show: (scene, target) => shown.push([scene, target]),
    });
    return { f, shown, asked };
  }
  const move = (f: CursorFollower, line: number) => f.moved("/a.scene", "file:///a.scene", { line, character: 0 });

  it("asks the language server's own request", () => {
    expect(REGION_AT_CURSOR).toBe(SERVER_REGION_AT_CURSOR);
  });

  it("asks once the cursor rests, and shows the answer without its range", async () => {
    vi.useFakeTimers();
    try {
      const { f, shown, asked } = follower({ 3: { kind: "region", name: "sky", range: {} }, 9: { kind: "guide", name: "g.png", guide: 0, range: {} } });
      for (const line of [1, 2, 3]) move(f, line);
      await vi.advanceTimersByTimeAsync(150);
      expect(asked).toEqual([3]);
      expect(shown).toEqual([["/a.scene", { kind: "region", name: "sky" }]]);
      move(f, 9);
      await vi.advanceTimersByTimeAsync(150);
      expect(shown.at(-1)).toEqual(["/a.scene", { kind: "guide", name: "g.png", guide: 0 }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("tells the preview only of changes, drops answers the cursor has moved past, and shows nothing new when the server cannot answer", async () => {
    vi.useFakeTimers();
    try {
      const { f, shown } = follower({ 1: { kind: "region", name: "sky" }, 2: { kind: "region", name: "sky" }, 4: { kind: "region", name: "sea" }, 5: null }, 500);
      move(f, 1);
      await vi.advanceTimersByTimeAsync(700);
      move(f, 2);
      await vi.advanceTimersByTimeAsync(700);
      expect(shown).toEqual([["/a.scene", { kind: "region", name: "sky" }]]);
      // Asked about line 4 (sea), then about line 5 (nothing) before the first answer came.
      move(f, 4);
      await vi.advanceTimersByTimeAsync(200);
      move(f, 5);
      await vi.advanceTimersByTimeAsync(1000);
      expect(shown.slice(1)).toEqual([["/a.scene", null]]);
      move(f, 7);
      await vi.advanceTimersByTimeAsync(1000);
      expect(shown).toHaveLength(2);
      // A preview opened again starts blank: the same answer is shown to it.
      f.forget("/a.scene");
      move(f, 5);
      await vi.advanceTimersByTimeAsync(1000);
      expect(shown).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the $scenec problem matchers", () => {
  const pattern = manifest.contributes.problemPatterns.find((p) => p.name === "scenec")!;
  const regexp = new RegExp(pattern.regexp);

  /** What VS Code takes from a line of a task's output with the `$scenec` pattern. */
  function problem(line: string) {
    const m = regexp.exec(line);
    if (!m) return [];
    const group = (i: number) => m[i]!;
    return [{ file: group(pattern.file), line: Number(group(pattern.line)), column: Number(group(pattern.column)), severity: group(pattern.severity), code: group(pattern.code), message: group(pattern.message) }];
  }
  const problems = (output: string) => output.split("\n").flatMap(problem);

  it("use the $scenec pattern", () => {
    expect(manifest.contributes.problemMatchers.map((m) => [m.name, m.pattern])).toEqual([
      ["scenec", "$scenec"],
      ["scenec-watch", "$scenec"],
    ]);
  });

  it("find every diagnostic of `scenec check`, where the fixtures expect them, and nothing else", async () => {
    const files = ["test/fixtures/bad/several-errors.scene", "test/fixtures/bad/unused-style.scene"];
    const run = await runMain("check", ...files);
    expect(run.status).toBe(1);
    const expected = files.flatMap((file) =>
      (JSON.parse(readFileSync(file.replace(/\.scene$/, ".expected.json"), "utf8")) as { code: string; severity: string; line: number; column: number; message: string }[]).map(
        (d) => ({ file, line: d.line, column: d.column, severity: d.severity, code: d.code, message: d.message }),
      ),
    );
    expect(problems(run.stdout + run.stderr)).toEqual(expected);
    expect(expected.map((p) => p.severity)).toContain("warning");
  });

  it("keep a Windows drive letter in the file name", () => {
    expect(problems("C:\\scenes\\a.scene:3:7: error[S2008]: unknown blend kernel `gausian`")).toEqual([
      { file: "C:\\scenes\\a.scene", line: 3, column: 7, severity: "error", code: "S2008", message: "unknown blend kernel `gausian`" },
    ]);
  });

  it("$scenec-watch follows `scenec watch` round by round: a save that fixes an error clears it", async () => {
    const watcher = manifest.contributes.problemMatchers.find((m) => m.name === "scenec-watch")!.background!;
    const dir = mkdtempSync(path.join(tmpdir(), "scenec-vscode-"));
    const scene = path.join(dir, "a.scene");
    copyFileSync("test/fixtures/bad/blend-typo.scene", scene);
    const watch = new WatchProcess(["a.scene"], dir, { stdin: "pipe" });
    try {
      await watch.waitForCount("scene has errors", 1);
      atomicSave(scene, readFileSync(scene, "utf8").replace("blend gausian", "blend gaussian"));
      await watch.waitForCount("scene has errors", 2);
      watch.closeStdin();
      await watch.exited;
    } finally {
      if (watch.running) await watch.interrupt();
      rmSync(dir, { recursive: true, force: true });
    }
    // As VS Code reads a background task: a begin line starts a round afresh, an end line closes it.
    const rounds: { problems: ReturnType<typeof problem>; ended: boolean }[] = [];
    for (const line of watch.stderr.split("\n")) {
      if (new RegExp(watcher.beginsPattern).test(line)) rounds.push({ problems: [], ended: false });
      else if (new RegExp(watcher.endsPattern).test(line)) rounds.at(-1)!.ended = true;
      else rounds.at(-1)?.problems.push(...problem(line));
    }
    expect(rounds.map((r) => [r.ended, r.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.code}`)])).toEqual([
      [true, ["a.scene:3:7 S2008", "a.scene:6:9 S2008"]],
      [true, ["a.scene:6:9 S2008"]],
    ]);
  });
});

describe("the extension's manifest", () => {
  it("contributes the scene language with the grammar and language configuration copied from grammar/", () => {
    const grammar = JSON.parse(readFileSync("grammar/scene.tmLanguage.json", "utf8")) as { scopeName: string };
    expect(manifest.contributes.languages).toEqual([expect.objectContaining({ id: "scene", extensions: [".scene"], configuration: "./syntaxes/language-configuration.json" })]);
    expect(manifest.contributes.grammars).toEqual([{ language: "scene", scopeName: grammar.scopeName, path: "./syntaxes/scene.tmLanguage.json" }]);
    const icon = manifest.contributes.languages[0]!.icon;
    for (const file of [icon.light, icon.dark]) expect(readFileSync(path.join("editors/vscode", file), "utf8")).toMatch(/^<svg [^>]*viewBox="0 0 16 16"/);
  });

  it("has the Preview and Restart commands and the settings the extension reads", () => {
    expect(manifest.contributes.commands.map((c) => `${c.category}: ${c.title}`)).toEqual(["scenec: Preview", "scenec: Restart Language Server"]);
    expect(Object.keys(manifest.contributes.configuration.properties)).toEqual(["scenec.path", "scenec.trace.server"]);
    const source = ["extension.ts", "language-client.ts"].map((f) => readFileSync(path.join("editors/vscode/src", f), "utf8")).join("\n");
    for (const c of manifest.contributes.commands) expect(source).toContain(`"${c.command}"`);
  });
});
