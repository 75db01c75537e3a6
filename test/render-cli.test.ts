/** `scenec render` as a user runs it (the built package; `npm test` builds first). */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lMask } from "./helpers/mask-images.js";
import { startScenec } from "./helpers/scenec-cli.js";
import { runMain } from "./helpers/scenec-main.js";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scenec-render-"));
  writeFileSync(
    join(dir, "pair.scene"),
    `canvas 256 x 128\nseed 11\nsteps 6\nscheduler euler\nregion left { size 128 x 128 prompt "red" }\nregion right { at 128, 0 size 128 x 128 prompt "blue sea" }\n`,
  );
  // Slow enough to interrupt: many tiles, many steps.
  writeFileSync(join(dir, "slow.scene"), `canvas 2048 x 1024\nsteps 400\ngrid g { tile 512 x 512 overlap 256 x 256 prompt "green forest" }\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(args: string[]) {
  return startScenec(args, { cwd: dir });
}

async function raw(file: string) {
  return (await sharp(file).raw().toBuffer({ resolveWithObject: true })).data;
}

describe("scenec render", () => {
  it("writes the PNG next to the scene and says so", async () => {
    const run = start(["render", "pair.scene"]);
    expect(await run.done).toBe(0);
    expect(run.stderr()).toMatch(/wrote .*pair\.png \(256 x 128\)/);
    const meta = await sharp(join(dir, "pair.png")).metadata();
    expect([meta.width, meta.height]).toEqual([256, 128]);
  });

  it("renders a saved plan to the same pixels as its scene", async () => {
    expect(await start(["plan", "pair.scene", "-o", "pair.plan.json"]).done).toBe(0);
    expect(await start(["render", "pair.plan.json", "-o", "from-plan.png"]).done).toBe(0);
    expect(await start(["render", "pair.scene", "-o", "from-scene.png"]).done).toBe(0);
    expect(Buffer.compare(await raw(join(dir, "from-plan.png")), await raw(join(dir, "from-scene.png")))).toBe(0);
  });

  it("renders a plan saved before the `noise` setting existed as scenec's noise", async () => {
    const plan = JSON.parse(readFileSync(join(dir, "pair.plan.json"), "utf8")) as Record<string, unknown>;
    expect(plan["noise"]).toBe("scenec");
    delete plan["noise"];
    writeFileSync(join(dir, "old.plan.json"), JSON.stringify(plan));
    expect(await start(["render", "old.plan.json", "-o", "from-old-plan.png"]).done).toBe(0);
    expect(Buffer.compare(await raw(join(dir, "from-old-plan.png")), await raw(join(dir, "from-scene.png")))).toBe(0);
  });

  it("rejects a plan file that fails the schema, exit 1, and one of another format version with what to do", async () => {
    writeFileSync(join(dir, "bad.plan.json"), JSON.stringify({ version: 2, canvas: { width: 7 } }));
    const run = start(["render", "bad.plan.json"]);
    expect(await run.done).toBe(1);
    expect(run.stderr()).toContain("not a valid plan");
    writeFileSync(join(dir, "v1.plan.json"), JSON.stringify({ version: 1, texts: ["a red house"] }));
    const old = start(["render", "v1.plan.json"]);
    expect(await old.done).toBe(1);
    expect(old.stderr()).toContain("v1.plan.json: a plan of format version 1, and this scenec reads version 2: make it again with `scenec plan SCENE -o v1.plan.json`");
  });

  it("holds a saved plan to the render's size limits, as the compiler holds a scene, exit 1", async () => {
    const run = await runMain("render", join(dir, "pair.plan.json"), "--max-side", "200");
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("pair.plan.json: the plan is over this render's limits: its canvas is 256 x 128, over the limits of 200 pixels a side");
  });

  it("refuses a saved plan whose guide image changed since, exit 2", async () => {
    await sharp({ create: { width: 64, height: 64, channels: 3, background: "#336699" } }).png().toFile(join(dir, "g.png"));
    writeFileSync(join(dir, "guided.scene"), `canvas 128 x 64\nsteps 2\nregion r { size 128 x 64 prompt "red" }\nguide "g.png" { at 0, 0 strength 1 }\n`);
    expect(await start(["plan", "guided.scene", "-o", "guided.plan.json"]).done).toBe(0);
    await sharp({ create: { width: 64, height: 64, channels: 3, background: "#aa2200" } }).png().toFile(join(dir, "g.png"));
    const run = start(["render", "guided.plan.json", "-o", "guided.png"]);
    expect(await run.done).toBe(2);
    expect(run.stderr()).toMatch(/^scenec: guide image .*g\.png has changed since the plan was made/m);
    expect(run.stderr()).not.toContain("internal error");
    expect(existsSync(join(dir, "guided.png"))).toBe(false);
  });

  it("renders a saved plan with a mask to the scene's pixels, and refuses it once the mask has changed, exit 2", async () => {
    writeFileSync(join(dir, "m.png"), await lMask(64));
    writeFileSync(join(dir, "masked.scene"), `canvas 128 x 64\nsteps 2\nregion r { prompt "blue" }\nregion wall { size 64 x 64  mask "m.png"  prompt "red" }\n`);
    expect(await start(["plan", "masked.scene", "-o", "masked.plan.json"]).done).toBe(0);
    expect(await start(["render", "masked.plan.json", "-o", "masked-plan.png"]).done).toBe(0);
    expect(await start(["render", "masked.scene", "-o", "masked-scene.png"]).done).toBe(0);
    expect(Buffer.compare(await raw(join(dir, "masked-plan.png")), await raw(join(dir, "masked-scene.png")))).toBe(0);
    // The output may not overwrite the mask the plan reads.
    expect(await start(["render", "masked.plan.json", "-o", "m.png"]).done).toBe(2);
    writeFileSync(join(dir, "m.png"), await lMask(32));
    const run = start(["render", "masked.plan.json", "-o", "masked-stale.png"]);
    expect(await run.done).toBe(2);
    expect(run.stderr()).toMatch(/^scenec: masked\.plan\.json: mask image .*m\.png has changed since the plan was made/m);
    expect(run.stderr()).not.toContain("internal error");
  });

  it("exports the built-in model as a folder that renders the same picture", async () => {
    expect(await start(["model", "export-builtin", "exported"]).done).toBe(0);
    expect(existsSync(join(dir, "exported", "unet", "model.onnx"))).toBe(true);
    writeFileSync(join(dir, "exported.scene"), readFileSync(join(dir, "pair.scene"), "utf8").replace("steps 6", 'steps 6\nmodel "./exported"'));
    expect(await start(["render", "exported.scene", "-o", "exported.png"]).done).toBe(0);
    expect(await start(["render", "pair.scene", "-o", "builtin.png"]).done).toBe(0);
    expect(Buffer.compare(await raw(join(dir, "exported.png")), await raw(join(dir, "builtin.png")))).toBe(0);
  });

  it("lists the built-in vocabulary", async () => {
    const run = start(["model", "vocabulary"]);
    expect(await run.done).toBe(0);
    const out = run.stdout();
    expect(out).toMatch(/^sea\s+deep blue, horizontal waves\s+colour #/m);
    expect(out).toContain("Known words without effect");
  });

  it("creates a missing output folder, for -o and for the scene's `output`", async () => {
    expect(await start(["render", "pair.scene", "-o", "new/folder/out.png"]).done).toBe(0);
    expect(existsSync(join(dir, "new", "folder", "out.png"))).toBe(true);
    writeFileSync(join(dir, "renders.scene"), readFileSync(join(dir, "pair.scene"), "utf8") + 'output "renders/pair.png"\n');
    expect(await start(["render", "renders.scene"]).done).toBe(0);
    expect(existsSync(join(dir, "renders", "pair.png"))).toBe(true);
  });

  it("refuses an output folder that cannot be made (a file is in the way) before rendering, exit 2", async () => {
    writeFileSync(join(dir, "a-file"), "");
    const run = start(["render", "slow.scene", "-o", "a-file/out.png"]);
    expect(await run.done).toBe(2);
    expect(run.stderr()).toMatch(/^scenec: cannot write a-file\/out\.png: a-file is not a folder$/m);
    expect(run.stderr()).not.toContain("step");
  });

  it("writes -o out.jpg as JPEG and out.webp as WebP, never PNG bytes under another name", async () => {
    expect(await start(["render", "pair.scene", "-o", "out.jpg"]).done).toBe(0);
    expect(await start(["render", "pair.scene", "-o", "out.webp"]).done).toBe(0);
    expect((await sharp(join(dir, "out.jpg")).metadata()).format).toBe("jpeg");
    expect((await sharp(join(dir, "out.webp")).metadata()).format).toBe("webp");
  });

  it("refuses -o that is the scene or not a picture's name, before rendering and writing nothing, exit 2", async () => {
    const scene = readFileSync(join(dir, "pair.scene"));
    const same = start(["render", "pair.scene", "-o", "pair.scene"]);
    expect(await same.done).toBe(2);
    expect(same.stderr()).toMatch(/^scenec: cannot write the picture to pair\.scene: `\.scene` is not a picture format scenec writes/m);
    const text = start(["render", "pair.scene", "-o", "escaped.txt"]);
    expect(await text.done).toBe(2);
    expect(existsSync(join(dir, "escaped.txt"))).toBe(false);
    expect(readFileSync(join(dir, "pair.scene")).equals(scene)).toBe(true);
  });

  it("refuses a scene whose `output` leaves its folder (exit 1, nothing written); -o and --allow-outside are the user's way out", async () => {
    mkdirSync(join(dir, "inner"), { recursive: true });
    writeFileSync(join(dir, "inner", "escape.scene"), readFileSync(join(dir, "pair.scene"), "utf8") + 'output "../escaped.png"\n');
    const run = start(["render", "inner/escape.scene"]);
    expect(await run.done).toBe(1);
    expect(run.stderr()).toContain("error[S3007]: `../escaped.png` is outside the scene's project root");
    expect(existsSync(join(dir, "escaped.png"))).toBe(false);
    expect(await start(["render", "inner/escape.scene", "--allow-outside"]).done).toBe(0);
    expect(existsSync(join(dir, "escaped.png"))).toBe(true);
  });

  it("rejects bad flags, exit 2", async () => {
    for (const args of [["--steps", "0"], ["--device", "tpu"], ["--batch", "x"]]) {
      const run = start(["render", "pair.scene", ...args]);
      expect(await run.done).toBe(2);
      expect(run.stderr()).toMatch(/^scenec: /m);
    }
  });

  it("stops on Ctrl-C with status 130, writing nothing and leaving no temp file", async () => {
    const run = start(["render", "slow.scene", "-o", "slow.png"]);
    const deadline = Date.now() + 60_000;
    while (!/step \d+\/400/.test(run.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const sent = Date.now();
    run.child.kill("SIGINT");
    expect(await run.done).toBe(130);
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(run.stderr()).toContain("interrupted; nothing was written");
    expect(existsSync(join(dir, "slow.png"))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
