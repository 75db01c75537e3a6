/**
 * Makes the guide image of scenes/incremental.scene, the incremental-workflow example, the way a
 * user would by hand:
 *
 * 1. render scenes/countryside.scene with the CLI (`node bin/scenec.js render`), into a temporary
 *    folder;
 * 2. crop the bottom half of that render (1408 x 320 at y = 320) with sharp and write it to
 *    scenes/guides/countryside-bottom.png (PNG, no metadata).
 *
 * scenes/incremental.scene then pins that half with `strength 1` and re-rolls the top half with
 * another seed. Run with `npm run incremental-guide` (it builds first: the CLI runs from dist/).
 * The render is deterministic on a given machine; another CPU may differ in the last bits. When the
 * file's bytes change, so does its sha256 in the golden plan: rerun
 * `UPDATE_GOLDEN=1 npx vitest run test/plan-golden.test.ts`.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import sharp from "sharp";
import { packageRoot } from "../src/package-root.js";

async function main(): Promise<void> {
  const root = packageRoot();
  const scene = join(root, "scenes", "countryside.scene");
  const target = join(root, "scenes", "guides", "countryside-bottom.png");
  const work = mkdtempSync(join(tmpdir(), "scenec-incremental-"));
  try {
    const rendered = join(work, "countryside.png");
    // 1. The first render, with the command a user would type.
    const run = spawnSync(process.execPath, [join(root, "bin", "scenec.js"), "render", scene, "-o", rendered], { cwd: root, stdio: "inherit" });
    if (run.status !== 0) throw new Error(`scenec render ${relative(root, scene)} failed (exit status ${run.status ?? run.signal})`);

    // 2. Its bottom half.
    const { width, height } = await sharp(rendered).metadata();
    if (!width || !height) throw new Error(`cannot read the size of ${rendered}`);
    const half = height / 2;
    mkdirSync(dirname(target), { recursive: true });
    await sharp(rendered)
      .extract({ left: 0, top: half, width, height: half })
      .png({ compressionLevel: 9, adaptiveFiltering: true, palette: false })
      .toFile(target);
    console.log(`wrote ${relative(root, target)} (${width} x ${half}: the bottom half of the ${width} x ${height} render)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
