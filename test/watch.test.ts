/**
 * `scenec watch` end to end, as an editor uses it: one watch process in a temporary folder, and a
 * sequence of saves, each checked against the PNG on disk and the stable `[watch]` lines on
 * stderr. The steps share the process (the model stays loaded, as in real use), so they run in
 * order; each waits by polling, with generous limits for a loaded machine.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lMask } from "./helpers/mask-images.js";
import { atomicSave, pngScene, readIfExists, sleep, waitUntil, WatchProcess } from "./helpers/watch-process.js";

const scene = (left: string, extra = "") => `canvas 128 x 64
steps 4
scheduler euler
seed 11
region left {
  at 0, 0
  size 64 x 64
  prompt "${left}"
}
region right {
  at 64, 0
  size 64 x 64
  prompt "blue"
}
${extra}`;

const WITH_GUIDE = `guide "guide.png" {
  at 0, 0
  size 64 x 64
  strength 0.6
}
`;

function solidPng(rgb: [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 64, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();
}

let dir: string;
let file: string;
let out: string;
let watch: WatchProcess;

/** Saves the scene (plainly or atomically) and waits until the PNG records exactly that text. */
async function saveAndWaitForPng(text: string, how: "plain" | "atomic" = "plain"): Promise<Buffer> {
  const mark = watch.mark();
  if (how === "atomic") atomicSave(file, text);
  else writeFileSync(file, text);
  await waitUntil(() => pngScene(out) === text, "the PNG of the saved scene", 30_000, () => watch.stderr);
  // The line comes just after the PNG is in place: wait for it too, so later counts start after it.
  await watch.waitForInOrder(mark, [/^\[watch\] render finished in /m]);
  return readFileSync(out);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "scenec-watch-"));
  file = path.join(dir, "s.scene");
  out = path.join(dir, "s.png");
  writeFileSync(file, scene("red"));
  watch = new WatchProcess(["s.scene", "--keep-history"], dir);
  await watch.waitForCount("render finished", 1, 45_000);
});

afterAll(async () => {
  if (watch?.running) await watch.interrupt();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("scenec watch", () => {
  it("renders at the start and prints the stable lines", () => {
    expect(watch.stderr).toMatch(/^\[watch\] watching s\.scene; Ctrl-C stops$/m);
    expect(watch.stderr).toMatch(/^\[watch\] render started$/m);
    expect(watch.stderr).toMatch(/^\[watch\] render finished in \d+ ms -> s\.png \(128 x 64, compiled in \d+ ms, \d\d:\d\d:\d\d\)$/m);
    expect(pngScene(out)).toBe(scene("red"));
  });

  it("renders a changed prompt into a new PNG with different content", async () => {
    const before = readFileSync(out);
    const after = await saveAndWaitForPng(scene("green"));
    expect(Buffer.compare(before, after)).not.toBe(0);
    const [a, b] = await Promise.all([sharp(before).raw().toBuffer(), sharp(after).raw().toBuffer()]);
    expect(a.equals(b), "the pixels differ, not only the text chunks").toBe(false);
    expect(watch.stderr).toMatch(/^\[watch\] change: s\.scene$/m);
  });

  it("prints the diagnostics of a broken save and leaves the PNG byte-identical", async () => {
    const before = readFileSync(out);
    const started = watch.count("render started");
    writeFileSync(file, scene("green", "region broken {\n"));
    await watch.waitForCount("scene has errors", 1);
    expect(watch.stderr).toMatch(/s\.scene:\d+:\d+: error\[S1\d+\]/);
    expect(watch.stderr).toMatch(/^\[watch\] scene has errors \(1 error\): s\.png is stale: the scene has errors \(last good render \d\d:\d\d:\d\d\)$/m);
    await sleep(300); // nothing else may happen
    expect(watch.count("render started")).toBe(started);
    expect(readFileSync(out).equals(before)).toBe(true);
  });

  it("renders again once the error is fixed", async () => {
    const before = readFileSync(out);
    const after = await saveAndWaitForPng(scene("yellow"));
    expect(after.equals(before)).toBe(false);
  });

  it("takes an atomic save (temporary file renamed over the scene) as one change", async () => {
    const started = watch.count("render started");
    const before = readFileSync(out);
    const after = await saveAndWaitForPng(scene("orange"), "atomic");
    expect(after.equals(before)).toBe(false);
    await sleep(300);
    expect(watch.count("render started")).toBe(started + 1);
  });

  it("watches a guide image once the scene uses it, and renders again when it changes", async () => {
    writeFileSync(path.join(dir, "guide.png"), await solidPng([250, 250, 250]));
    const withGuide = scene("orange", WITH_GUIDE);
    const first = await saveAndWaitForPng(withGuide);
    const dark = await solidPng([5, 5, 5]);
    const mark = watch.mark();

    atomicSave(path.join(dir, "guide.png"), dark);
    await watch.waitForInOrder(mark, [/^\[watch\] change: guide\.png$/m, /^\[watch\] render started$/m, /^\[watch\] render finished in /m]);
    const second = readFileSync(out);
    expect(pngScene(out)).toBe(withGuide);
    const [a, b] = await Promise.all([sharp(first).raw().toBuffer(), sharp(second).raw().toBuffer()]);
    expect(a.equals(b), "a darker guide gives a different picture").toBe(false);
  });

  it("watches a mask image once the scene uses it, and renders again when it changes", async () => {
    writeFileSync(path.join(dir, "mask.png"), await lMask(64));
    const withMask = scene("orange", 'region under { prompt "grey" }\nregion masked { size 64 x 64  mask "mask.png"  prompt "white"  weight 9 }\n');
    const first = await saveAndWaitForPng(withMask);
    const mark = watch.mark();
    atomicSave(path.join(dir, "mask.png"), await lMask(64, { alpha: true }).then((l) => sharp(l).negate({ alpha: true }).png().toBuffer()));
    await watch.waitForInOrder(mark, [/^\[watch\] change: mask\.png$/m, /^\[watch\] render started$/m, /^\[watch\] render finished in /m]);
    const second = readFileSync(out);
    expect(pngScene(out)).toBe(withMask);
    const [a, b] = await Promise.all([sharp(first).raw().toBuffer(), sharp(second).raw().toBuffer()]);
    expect(a.equals(b), "another mask gives a different picture").toBe(false);
  });

  it("reports a deleted import, and renders again when it comes back", async () => {
    writeFileSync(path.join(dir, "styles.scene"), 'style paint "red"\n');
    const importing = `import "styles.scene"\n${scene("{paint}")}`;
    await saveAndWaitForPng(importing);
    const before = readFileSync(out);
    const errors = watch.count("scene has errors");
    unlinkSync(path.join(dir, "styles.scene"));
    await watch.waitFor(/^\[watch\] styles\.scene was deleted$/m);
    await watch.waitForCount("scene has errors", errors + 1);
    expect(watch.stderr).toMatch(/error\[S3001\]/);
    expect(readFileSync(out).equals(before)).toBe(true);

    const mark = watch.mark();
    writeFileSync(path.join(dir, "styles.scene"), 'style paint "green"\n');
    await watch.waitForInOrder(mark, [/^\[watch\] styles\.scene is back$/m, /^\[watch\] render started$/m, /^\[watch\] render finished in /m]);
    expect(readFileSync(out).equals(before), "the import's new style changed the picture").toBe(false);
  });

  it("starts at most three renders for twenty quick saves, and the last PNG is the last save", async () => {
    const started = watch.count("render started");
    const failedBefore = watch.count("render failed");
    let last = "";
    for (let i = 0; i < 20; i++) {
      last = scene(i % 2 ? "purple" : "teal", `# save ${i}\n`);
      writeFileSync(file, last);
      await sleep(15);
    }
    await waitUntil(() => pngScene(out) === last, "the PNG of the last save", 30_000, () => watch.stderr);
    await sleep(500); // a render started after the last one would show up here
    const renders = watch.count("render started") - started;
    expect(renders).toBeGreaterThanOrEqual(1);
    expect(renders).toBeLessThanOrEqual(3);
    expect(watch.count("render failed")).toBe(failedBefore);
    expect(pngScene(out)).toBe(last);
  });

  it("reports a deleted scene and picks it up again when it comes back", async () => {
    const text = readFileSync(file, "utf8");
    const before = readFileSync(out);
    unlinkSync(file);
    await watch.waitFor(/^\[watch\] s\.scene was deleted; waiting for it to come back$/m);
    await watch.waitFor(/^\[watch\] s\.png is stale: cannot read s\.scene: no such file or directory/m);
    expect(readFileSync(out).equals(before)).toBe(true);
    const back = text.replace("purple", "cyan").replace("teal", "cyan");
    await saveAndWaitForPng(back);
    expect(watch.stderr).toMatch(/^\[watch\] s\.scene is back$/m);
  });

  it("exits with 0 on Ctrl-C and leaves no temporary files", async () => {
    const { code, signal, ms } = await watch.interrupt();
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(5_000);
    expect(watch.stderr).toMatch(/^\[watch\] stopped$/m);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(existsSync(out)).toBe(true);
  });
});

describe("scenec watch, Ctrl-C in the middle of a render", () => {
  it("exits promptly with 0 and leaves no temporary files and no half-written PNG", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "scenec-watch-int-"));
    try {
      // A render long enough to be interrupted: 1000 steps.
      writeFileSync(path.join(folder, "big.scene"), scene("red").replace("steps 4", "steps 1000"));
      const child = new WatchProcess(["big.scene"], folder);
      await child.waitForCount("render started", 1, 45_000);
      await sleep(300);
      expect(child.count("render finished"), "the render is still running").toBe(0);
      const { code, signal, ms } = await child.interrupt();
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(ms).toBeLessThan(5_000);
      expect(readdirSync(folder).sort()).toEqual(["big.scene"]);
      expect(readIfExists(path.join(folder, "big.png"))).toBeUndefined();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
