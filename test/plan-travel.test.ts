/**
 * Plans that travel (issue 8, point 13): a plan written with `scenec plan -o` renders from any
 * working folder, and a plan's bytes (so the plan hash in the PNG) do not depend on how the
 * scene's path was typed. Plus the plan's own output rule: a saved plan is a file from anyone.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatPlan, planForFile } from "../src/cli/plan-output.js";
import { compile } from "../src/compiler/compile.js";
import { nodeHost } from "../src/compiler/node-host.js";
import { planHash } from "../src/compiler/plan/plan-hash.js";
import { tempFolder } from "./helpers/guide-helpers.js";
import { ROOT, runScenec } from "./helpers/scenec-cli.js";

let dir: string;
let remove: () => void;

beforeAll(() => {
  ({ dir, remove } = tempFolder("scenec-travel-"));
  mkdirSync(join(dir, "scenes", "guides"), { recursive: true });
  mkdirSync(join(dir, "plans"));
  cpSync(join(ROOT, "scenes", "guides", "postcard-sea.png"), join(dir, "scenes", "guides", "postcard-sea.png"));
  writeFileSync(
    join(dir, "scenes", "postcard.scene"),
    'canvas 64 x 128\nsteps 2\nregion card { prompt "a bright sunset sky" }\nguide "guides/postcard-sea.png" { at 0, 64  size 64 x 64  strength 0.8 }\n',
  );
});
afterAll(() => remove?.());

describe("a plan's bytes do not depend on how the scene's path was typed", () => {
  it("scenes/x.scene, ./scenes/../scenes/x.scene and the absolute path give the same plan and hash", () => {
    const text = readFileSync(join(dir, "scenes", "postcard.scene"), "utf8");
    const planOf = (path: string) => compile(text, { path, host: nodeHost }).plan!;
    const absolute = join(dir, "scenes", "postcard.scene");
    const fromHere = relative(process.cwd(), dir);
    const plans = [absolute, relative(process.cwd(), absolute), `./${fromHere}/scenes/../scenes/postcard.scene`].map(planOf);
    const yaml = formatPlan(plans[0]!, "yaml");
    for (const plan of plans) expect(formatPlan(plan, "yaml")).toBe(yaml);
    expect(plans[0]!.regions[0]!.source).toBe("postcard.scene:3:8");
    expect(plans[0]!.guides[0]!.source).toBe("postcard.scene:4:7");
    expect(new Set(plans.map(planHash)).size).toBe(1);
  });

  it("`scenec plan scenes/x.scene` and `scenec plan x.scene` from inside scenes/ print the same bytes", async () => {
    const fromTop = await runScenec(["plan", "scenes/postcard.scene"], { cwd: dir });
    const fromInside = await runScenec(["plan", "postcard.scene"], { cwd: join(dir, "scenes") });
    expect(fromTop.status).toBe(0);
    expect(fromInside.stdout).toBe(fromTop.stdout);
  });
});

describe("a written plan renders from anywhere", () => {
  it("stores guide paths relative to the plan file, with their sha256", () => {
    const text = readFileSync(join(dir, "scenes", "postcard.scene"), "utf8");
    const plan = compile(text, { path: join(dir, "scenes", "postcard.scene"), host: nodeHost }).plan!;
    const moved = planForFile(plan, join(dir, "scenes", "postcard.scene"), join(dir, "plans", "p.yaml"));
    expect(moved.guides[0]!.path).toBe("../scenes/guides/postcard-sea.png");
    expect(moved.guides[0]!.sha256).toBe(plan.guides[0]!.sha256);
    expect(planForFile(plan, join(dir, "scenes", "postcard.scene"), join(dir, "scenes", "p.yaml"))).toBe(plan);
    const withModel = compile(`model "./models/sd15"\n${text}`, { path: join(dir, "scenes", "postcard.scene"), host: nodeHost }).plan!;
    expect(planForFile(withModel, join(dir, "scenes", "postcard.scene"), join(dir, "plans", "p.yaml")).model).toEqual({ kind: "path", path: "../scenes/models/sd15" });
  });

  it("`scenec plan scenes/postcard.scene -o plans/p.yaml`, then `scenec render` of it from another folder", async () => {
    expect((await runScenec(["plan", "scenes/postcard.scene", "-o", "plans/p.yaml"], { cwd: dir })).status).toBe(0);
    expect(readFileSync(join(dir, "plans", "p.yaml"), "utf8")).toContain("path: ../scenes/guides/postcard-sea.png");
    const render = await runScenec(["render", join(dir, "plans", "p.yaml")], { cwd: join(dir, "scenes", "guides") });
    expect(render.stderr).toMatch(/wrote .*plans\/postcard\.png \(64 x 128\)/);
    expect(render.status).toBe(0);
    expect(existsSync(join(dir, "plans", "postcard.png"))).toBe(true);
  });

  it("a plan printed on stdout and saved in another folder says where its paths start, exit 2", async () => {
    const printed = await runScenec(["plan", "scenes/postcard.scene"], { cwd: dir });
    writeFileSync(join(dir, "plans", "stdout.yaml"), printed.stdout);
    const run = await runScenec(["render", "plans/stdout.yaml"], { cwd: dir });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("scenec: plans/stdout.yaml: guide image `guides/postcard-sea.png` is not there (plans/guides/postcard-sea.png)");
    expect(run.stderr).toContain("a saved plan's paths are relative to the plan file: write it with `scenec plan SCENE -o plans/stdout.yaml`");
  });

  it("refuses `plan -o` over the scene or without a plan's extension, exit 2", async () => {
    const scene = readFileSync(join(dir, "scenes", "postcard.scene"));
    const over = await runScenec(["plan", "scenes/postcard.scene", "-o", "scenes/postcard.scene"], { cwd: dir });
    expect(over.status).toBe(2);
    expect(over.stderr).toMatch(/^scenec: cannot write the plan to scenes\/postcard\.scene: a plan file's name ends in \.yaml, \.yml or \.json/m);
    expect(readFileSync(join(dir, "scenes", "postcard.scene")).equals(scene)).toBe(true);
  });

  it("refuses a saved plan whose output leaves the plan's folder (a plan is a file from anyone), exit 2", async () => {
    const plan = readFileSync(join(dir, "plans", "p.yaml"), "utf8").replace("output: postcard.png", "output: ../../escaped.png");
    writeFileSync(join(dir, "plans", "hostile.yaml"), plan);
    const run = await runScenec(["render", "plans/hostile.yaml"], { cwd: dir });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^scenec: plans\/hostile\.yaml: the output `\.\.\/\.\.\/escaped\.png` is outside the project root/m);
    expect(existsSync(join(dir, "..", "escaped.png"))).toBe(false);
  });
});
