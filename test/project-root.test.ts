/**
 * Files outside a scene's reach (issue 8, points 5–7): the project root rule for `import`, `guide`
 * and `output`, absolute paths, only regular files read and within a size limit, and no line of a
 * refused file ever shown. In-process, with the real Node host on a temporary folder.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, symlinkSync, writeFileSync, ftruncateSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRules } from "../src/cli/config.js";
import { renderDiagnostics } from "../src/cli/diagnostic-text.js";
import { compile, type CompileResult, type ProjectRules } from "../src/compiler/compile.js";
import { nodeHost, readRegularFile } from "../src/compiler/node-host.js";
import { tempFolder } from "./helpers/guide-helpers.js";

let dir: string;
let remove: () => void;
const SECRET = "root:x:0:0:root:/root:/bin/bash";

beforeAll(async () => {
  ({ dir, remove } = tempFolder("scenec-root-"));
  mkdirSync(join(dir, "project", "scenes", "styles"), { recursive: true });
  mkdirSync(join(dir, "project", "shared"), { recursive: true });
  mkdirSync(join(dir, "elsewhere"), { recursive: true });
  writeFileSync(join(dir, "project", "shared", "art.scene"), 'style art "oil paint"\n');
  writeFileSync(join(dir, "project", "scenes", "styles", "art.scene"), 'style art "oil paint"\n');
  writeFileSync(join(dir, "elsewhere", "passwd"), `${SECRET}\n`);
  await sharp({ create: { width: 64, height: 64, channels: 3, background: "#336699" } }).png().toFile(join(dir, "project", "shared", "g.png"));
  await sharp({ create: { width: 64, height: 64, channels: 3, background: "#336699" } }).png().toFile(join(dir, "project", "scenes", "g.png"));
  symlinkSync(join(dir, "elsewhere", "passwd"), join(dir, "project", "scenes", "link.scene"));
});
afterAll(() => remove?.());

const scenes = () => join(dir, "project", "scenes");
const region = 'canvas 64 x 64\nregion r { prompt "red" }\n';

function compileIn(text: string, project?: ProjectRules, limits = {}): CompileResult {
  return compile(text, { path: join(scenes(), "x.scene"), host: nodeHost, limits, ...(project ? { project } : {}) });
}
const codes = (result: CompileResult) => result.diagnostics.map((d) => d.code);
const anywhere = (): ProjectRules => ({ root: scenes(), outside: "anywhere" });

describe("the project root: the scene's folder, or the folder of the nearest scenec.yaml", () => {
  it("refuses an import or a guide outside the scene's folder (S3007) and reads both inside it", () => {
    const outside = compileIn(`import "../shared/art.scene"\n${region}guide "../shared/g.png" { strength 0.5 }\n`);
    expect(codes(outside)).toEqual(["S3007", "S3007"]);
    expect(outside.diagnostics[0]!.message).toBe("`../shared/art.scene` is outside the scene's project root");
    expect(compileIn(`import "styles/art.scene"\n${region}guide "g.png" { strength 0.5 }\nregion s { prompt "{art}" }\n`).diagnostics).toEqual([]);
  });

  it("takes the root from scenec.yaml, its allow-outside folders, and --allow-outside", () => {
    const text = `import "../shared/art.scene"\n${region.replace("red", "{art}")}`;
    const scene = join(scenes(), "x.scene");
    expect(projectRules(scene, false)).toEqual({ root: scenes(), outside: [] });
    writeFileSync(join(dir, "project", "scenec.yaml"), "models: {}\n");
    expect(codes(compileIn(text, projectRules(scene, false)))).toEqual([]);
    const far = `import "../../elsewhere/passwd"\n${region}`;
    expect(codes(compileIn(far, projectRules(scene, false)))).toEqual(["S3007"]);
    writeFileSync(join(dir, "project", "scenec.yaml"), "allow-outside: [../elsewhere]\n");
    expect(projectRules(scene, false).outside).toEqual([join(dir, "elsewhere")]);
    expect(codes(compileIn(far, projectRules(scene, false)))).not.toContain("S3007");
    writeFileSync(join(dir, "project", "scenec.yaml"), "models: {}\n");
    expect(projectRules(scene, true).outside).toBe("anywhere");
  });

  it("follows symbolic links: a link inside the root to a file outside it is outside", () => {
    expect(codes(compileIn(`import "link.scene"\n${region}`))).toEqual(["S3007"]);
  });

  it("never shows a line of a refused file (point 7: `import \"../../etc/passwd\"`)", () => {
    const result = compileIn(`import "../../../elsewhere/passwd"\n${region}`);
    expect(codes(result)).toEqual(["S3007"]);
    expect([...result.sources.keys()]).toEqual([join(scenes(), "x.scene")]);
    expect(renderDiagnostics(result.diagnostics, result.sources, { color: false })).not.toContain("root:x");
  });

  it("refuses absolute paths with the rule (S3011), even when outside paths are allowed", () => {
    const result = compileIn(`import "/etc/hosts"\n${region}guide "/dev/zero"\noutput "/tmp/x.png"\n`, anywhere());
    expect(codes(result)).toEqual(["S3011", "S3011", "S3011"]);
    expect(result.diagnostics[0]!.message).toBe("`/etc/hosts` is an absolute path");
    expect(result.diagnostics[0]!.help).toBe("write it relative to the folder of `x.scene`, so that the scene works wherever it is copied");
  });
});

describe("only regular files are read, within a size limit (point 6)", () => {
  it("refuses /dev/zero as an import and as a guide at once, reading nothing (S3008)", () => {
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    const result = compileIn(`import "../../../../../../../../../../dev/zero"\n${region}guide "../../../../../../../../../../dev/zero"\n`, anywhere());
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["S3008", "imported file `../../../../../../../../../../dev/zero` is not a regular file: it is a device"],
      ["S3008", "guide image `../../../../../../../../../../dev/zero` is not a regular file: it is a device"],
    ]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
  });

  it("never blocks on a FIFO, as an import or a guide (S3008)", () => {
    execFileSync("mkfifo", [join(scenes(), "pipe.scene")]);
    execFileSync("mkfifo", [join(scenes(), "pipe.png")]);
    const result = compileIn(`import "pipe.scene"\n${region}guide "pipe.png"\n`);
    expect(result.diagnostics.map((d) => d.message)).toEqual([
      "imported file `pipe.scene` is not a regular file: it is a FIFO (named pipe)",
      "guide image `pipe.png` is not a regular file: it is a FIFO (named pipe)",
    ]);
  });

  it("refuses a file over the limit without reading it (S3009): imports at 4 MB, guides from the pixel limit", () => {
    const sparse = (name: string, bytes: number) => {
      const fd = openSync(join(scenes(), name), "w");
      ftruncateSync(fd, bytes);
      closeSync(fd);
    };
    sparse("big.scene", 4_000_001);
    sparse("big.png", 2_000_000_000);
    const result = compileIn(`import "big.scene"\n${region}guide "big.png"\n`);
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["S3009", "imported file `big.scene` is too large: it is 4 MB, over the limit of 4 MB"],
      ["S3009", "guide image `big.png` is too large: it is 2000 MB, over the limit of 1040 MB"],
    ]);
    expect(readRegularFile(join(scenes(), "big.scene"), 10)).toEqual({ ok: false, reason: "too-large", message: "is 4 MB, over the limit of 10 bytes" });
  });
});

describe("the scene's `output`", () => {
  it("stays inside the project root (S3007) unless allowed", () => {
    expect(codes(compileIn(`${region}output "../out.png"\n`))).toEqual(["S3007"]);
    expect(compileIn(`${region}output "../out.png"\n`, anywhere()).plan?.output).toBe("../out.png");
    expect(compileIn(`${region}output "renders/out.png"\n`).plan?.output).toBe("renders/out.png");
  });

  it("is an image file name (S3010): `output \"x.scene\"` inside x.scene, or any other extension", () => {
    const result = compileIn(`${region}output "x.scene"\n`);
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([["S3010", "cannot write the picture to `x.scene`: `.scene` is not a picture format scenec writes: end it with one of .png, .jpg, .jpeg, .webp"]]);
    expect(codes(compileIn(`${region}output "escaped.txt"\n`))).toEqual(["S3010"]);
    expect(codes(compileIn(`${region}output "picture"\n`))).toEqual(["S3010"]);
    for (const name of ["a.png", "a.JPG", "a.jpeg", "a.webp"]) expect(codes(compileIn(`${region}output "${name}"\n`))).toEqual([]);
  });

  it("is never one of the scene's guides (S3012)", () => {
    const result = compileIn(`${region}guide "g.png" { strength 0.5 }\noutput "./g.png"\n`);
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([["S3012", "cannot write the picture to `./g.png`: it is `g.png`, a file the scene reads; rendering would overwrite it"]]);
  });
});
