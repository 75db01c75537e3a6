import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompilerHost } from "../src/compiler/host.js";
import type { Plan } from "../src/compiler/plan/plan.js";
import { nodeHost } from "../src/compiler/node-host.js";
import { planHash } from "../src/compiler/plan/plan-hash.js";
import { withOverrides } from "../src/compiler/plan/plan-overrides.js";
import { KEY_PLAN_SHA256, KEY_SCENE, KEY_SEED, KEY_SOFTWARE, KEY_VERSION, pngChunks } from "../src/runtime/image/png-text.js";
import { compileScene } from "./helpers/render-helpers.js";
import { ROOT, runScenec, type CliRun } from "./helpers/scenec-cli.js";
import { runMain } from "./helpers/scenec-main.js";

/**
 * Every example scene renders through the real command line (`node bin/scenec.js render`, the
 * built package in dist/, which `npm test` builds first) at a few steps, and the PNG says how it
 * was made: `scenec info --json` gives back the scene's text, its seed and the plan's sha256.
 * `scenec plan` and `scenec info` run in-process (main(), from the repository root, as the render):
 * what they print needs no process of its own.
 */

const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const SCENES = readdirSync(join(ROOT, "scenes"))
  .filter((f) => f.endsWith(".scene"))
  .sort();

/** Steps per scene: few, and fewer still for the 4K mosaics. */
const STEPS: Record<string, number> = { "mosaic-4k.scene": 2, "mosaic-4k-shifted.scene": 2 };
const DEFAULT_STEPS = 4;

/** Reads files relative to the repository root, as the CLI (run there) does. */
const rootHost: CompilerHost = { readFile: (path) => nodeHost.readFile(join(ROOT, path)) };

let out: string;
let startedIn: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "src", "cli", "main.js"))) throw new Error("dist/ is missing: run `npm run build` first (`npm test` does)");
  out = mkdtempSync(join(tmpdir(), "scenec-examples-"));
  startedIn = process.cwd();
  process.chdir(ROOT);
});
afterAll(() => {
  if (startedIn) process.chdir(startedIn);
  if (out) rmSync(out, { recursive: true, force: true });
});

/** `scenec ARGS…` in-process, from the repository root. */
function scenec(...args: string[]): Promise<CliRun> {
  return runMain(...args);
}

/** `node bin/scenec.js ARGS…` from the repository root. */
function spawned(...args: string[]): Promise<CliRun> {
  return runScenec(args, { cwd: ROOT });
}

/** Width and height from the PNG's IHDR chunk. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const ihdr = pngChunks(bytes)[0]!;
  const view = new DataView(ihdr.data.buffer, ihdr.data.byteOffset, ihdr.data.byteLength);
  return { width: view.getUint32(0), height: view.getUint32(4) };
}

describe("the example scenes render through `scenec render`", () => {
  it("finds the examples", () => {
    expect(SCENES).toEqual(expect.arrayContaining(["countryside.scene", "forest-styles.scene", "mosaic-4k.scene", "outpaint.scene", "postcard.scene"]));
  });

  for (const name of SCENES) {
    const steps = STEPS[name] ?? DEFAULT_STEPS;
    it(`${name} renders at ${steps} steps and its PNG records the scene, seed and plan`, { timeout: 240_000 }, async () => {
      const scene = `scenes/${name}`;
      const source = readFileSync(join(ROOT, scene), "utf8");
      // The scene compiles without errors (with the sources under test)…
      const compiled = compileScene(source, { path: scene, host: rootHost });
      // …and the plan the CLI renders is the one `scenec plan --json` prints, with --steps applied.
      const printed = await scenec("plan", scene, "--json");
      expect(printed.status, printed.stderr).toBe(0);
      const plan = withOverrides(JSON.parse(printed.stdout) as Plan, { steps });
      expect(plan.canvas).toEqual(compiled.canvas);
      expect(plan.seed).toBe(compiled.seed);
      const png = join(out, name.replace(/\.scene$/, ".png"));

      const render = await spawned("render", scene, "--steps", String(steps), "-o", png);
      expect(render.status, render.stderr).toBe(0);
      expect(render.stdout).toBe("");
      expect(render.stderr).toContain(`wrote ${png} (${plan.canvas.width} x ${plan.canvas.height})`);
      expect(render.stderr).not.toMatch(/warning|error/i);

      const bytes = readFileSync(png);
      expect(pngSize(bytes)).toEqual(plan.canvas);

      const info = await scenec("info", png, "--json");
      expect(info.status, info.stderr).toBe(0);
      const json = JSON.parse(info.stdout) as { file: string; width: number; height: number; text: Record<string, string> };
      expect(json.width).toBe(plan.canvas.width);
      expect(json.height).toBe(plan.canvas.height);
      expect(json.text[KEY_SCENE]).toBe(source);
      expect(json.text[KEY_SEED]).toBe(String(plan.seed));
      expect(json.text[KEY_PLAN_SHA256]).toMatch(/^[0-9a-f]{64}$/);
      expect(json.text[KEY_PLAN_SHA256]).toBe(planHash(plan));
      expect(json.text[KEY_VERSION]).toBe(VERSION);
      expect(json.text[KEY_SOFTWARE]).toBe(`scenec ${VERSION}`);
    });
  }
});
