/**
 * The live preview page of `scenec watch --serve`, driven in headless Chromium (Debian's
 * `chromium`, through playwright-core; `.ci/run` installs it): after a save the page shows the new
 * picture, during the render it shows previews, and after a broken save it shows the diagnostics,
 * all without reloading.
 *
 * Skipped, with a message, only where /usr/bin/chromium is missing outside CI; in CI it must run.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pngScene, WatchProcess } from "./helpers/watch-process.js";

const CHROMIUM = "/usr/bin/chromium";
const skip = !existsSync(CHROMIUM) && !process.env["CI"];
if (skip) console.warn(`skipping the preview page's browser test: ${CHROMIUM} is not installed (apt-get install -y chromium; CI installs it)`);

/** Flags for a root user (Chromium's sandbox refuses root) on a machine with no network, nor a GPU. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const scene = (prompt: string, extra = "") => `canvas 256 x 128
steps 24
scheduler euler
seed 5
region left {
  at 0, 0
  size 128 x 128
  prompt "${prompt}"
}
region right {
  at 128, 0
  size 128 x 128
  prompt "blue waves"
}
${extra}`;

/** In-page code (a string: the tests are type-checked without the DOM's types): the picture shown is version n. */
const shownVersion = (n: number) => `document.getElementById("picture").dataset.version === "${n}"`;

describe.skipIf(skip)("the preview page (headless Chromium)", () => {
  let dir: string;
  let watch: WatchProcess;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "scenec-preview-"));
    writeFileSync(path.join(dir, "s.scene"), scene("red"));
    watch = new WatchProcess(["s.scene", "--serve", "0", "--keep-history"], dir);
    const [browserOrError] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 }),
      watch.waitForCount("render finished", 1, 60_000),
    ]);
    browser = browserOrError;
    url = (await watch.waitFor(/^\[watch\] preview at (http:\/\/127\.0\.0\.1:\d+\/)$/m))[1]!;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (watch?.running) await watch.interrupt();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows the new picture after a save and the diagnostics after a broken save, without a reload", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForFunction(shownVersion(1), undefined, { timeout: 30_000 });
    expect(await page.title()).toBe("s.scene · scenec watch");
    expect(await page.locator("#status").getAttribute("data-status")).toBe("ok");
    // A marker that a reload would wipe, and a count of the live previews shown.
    await page.evaluate(`(() => {
      window.noReload = true;
      window.previews = 0;
      new MutationObserver(() => window.previews++).observe(document.getElementById("live-image"), { attributes: true, attributeFilter: ["src"] });
    })()`);

    // A changed prompt: previews while it renders, then the new picture.
    const changed = scene("green grass");
    writeFileSync(path.join(dir, "s.scene"), changed);
    await page.waitForFunction(shownVersion(2), undefined, { timeout: 30_000 });
    expect(pngScene(path.join(dir, "s.png"))).toBe(changed);
    const shown = (await page.evaluate(`(() => {
      const img = document.getElementById("picture");
      return { width: img.naturalWidth, height: img.naturalHeight, src: img.getAttribute("src"), previews: window.previews };
    })()`)) as { width: number; height: number; src: string; previews: number };
    expect(shown).toMatchObject({ width: 256, height: 128, src: `${url}image.png?v=2` });
    expect(shown.previews, "previews of the render in progress").toBeGreaterThan(0);

    // A broken save: the diagnostics appear; the picture stays, marked stale.
    writeFileSync(path.join(dir, "s.scene"), scene("green grass", "region oops {\n"));
    await page.locator("#diagnostics").waitFor({ state: "visible", timeout: 30_000 });
    expect(await page.locator("#diagnostics").textContent()).toMatch(/s\.scene:\d+:\d+: error\[S1\d+\]/);
    expect(await page.locator("#status").getAttribute("data-status")).toBe("errors");
    expect(await page.locator("#status").textContent()).toMatch(/^s\.png is stale: the scene has errors/);
    expect(await page.locator("#picture").getAttribute("data-version")).toBe("2");

    // Fixed again: the diagnostics go away and a third picture comes.
    writeFileSync(path.join(dir, "s.scene"), scene("yellow"));
    await page.waitForFunction(shownVersion(3), undefined, { timeout: 30_000 });
    await page.locator("#diagnostics").waitFor({ state: "hidden", timeout: 10_000 });

    expect(await page.evaluate("window.noReload"), "the page was never reloaded").toBe(true);
    expect(errors).toEqual([]);

    // Ctrl-C with the page still connected: the server lets go at once.
    const exit = await watch.interrupt();
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(5_000);
  }, 90_000);
});
