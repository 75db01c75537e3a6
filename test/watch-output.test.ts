/**
 * `scenec watch` under the output and project-root rules (issue 8, point 5): the picture goes
 * where render would put it (a missing folder created, the format from -o's extension), and a
 * scene whose output leaves its project root is an error of the scene, never a file written there.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempFolder } from "./helpers/guide-helpers.js";
import { WatchProcess } from "./helpers/watch-process.js";

let dir: string;
let remove: () => void;
const scene = 'canvas 64 x 64\nsteps 2\nregion r { prompt "red" }\n';

beforeAll(() => {
  ({ dir, remove } = tempFolder("scenec-watch-out-"));
  mkdirSync(join(dir, "inner"));
  writeFileSync(join(dir, "w.scene"), scene);
  writeFileSync(join(dir, "inner", "escape.scene"), `${scene}output "../escaped.png"\n`);
});
afterAll(() => remove?.());

describe("scenec watch writes where render would", () => {
  it("-o sub/out.webp: creates the folder and writes WebP", async () => {
    const watch = new WatchProcess(["w.scene", "-o", "sub/out.webp", "--keep-history"], dir);
    await watch.waitFor(/^\[watch\] render finished in .* -> sub\/out\.webp/m);
    expect((await sharp(join(dir, "sub", "out.webp")).metadata()).format).toBe("webp");
    expect((await watch.interrupt()).code).toBe(0);
  });

  it("a scene whose output leaves its project root has errors (S3007), and nothing is written", async () => {
    const watch = new WatchProcess(["inner/escape.scene", "--keep-history"], dir);
    await watch.waitFor(/^\[watch\] scene has errors \(1 error\)/m);
    expect(watch.stderr).toContain("error[S3007]: `../escaped.png` is outside the scene's project root");
    expect((await watch.interrupt()).code).toBe(0);
    expect(existsSync(join(dir, "escaped.png"))).toBe(false);
  });
});
