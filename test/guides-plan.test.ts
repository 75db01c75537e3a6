/**
 * Guides in the plan and the caches: a changed guide file changes the plan (its sha256 and the
 * plan hash), an unchanged one reuses the encoded latents, a file changed after planning is a
 * StaleGuideError; and bad guide files are compile-time diagnostics on the path's span, never a
 * crash at render time.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { crc32, deflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import type { Diagnostic } from "../src/compiler/diagnostics/diagnostic.js";
import { nodeHost } from "../src/compiler/node-host.js";
import { planHash } from "../src/compiler/plan/plan-hash.js";
import { StaleGuideError } from "../src/runtime/guides/guide-image.js";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { renderCaches } from "../src/runtime/render.js";
import { compileIn, gradient, loadBuiltinModel, planIn, renderIn, solid, tempFolder, writeImage } from "./helpers/guide-helpers.js";

let model: OnnxDiffusionModel;
let dir: string;
let remove: () => void;

beforeAll(async () => {
  model = await loadBuiltinModel();
  ({ dir, remove } = tempFolder());
});
afterAll(() => remove?.());

const scene = (file: string) => `canvas 64 x 64
steps 4
region all { prompt "blue sea" }
guide "${file}" { strength 0.5 }
`;

describe("the plan and the latent cache", () => {
  it("a changed guide file changes the plan's sha256 and hash; an unchanged one does not", async () => {
    await writeImage(join(dir, "g.png"), 64, 64, gradient(64, 64));
    const first = planIn(dir, scene("g.png"));
    const again = planIn(dir, scene("g.png"));
    expect(planHash(again)).toBe(planHash(first));
    await writeImage(join(dir, "g.png"), 64, 64, solid([10, 200, 10]));
    const changed = planIn(dir, scene("g.png"));
    expect(changed.guides[0]!.sha256).not.toBe(first.guides[0]!.sha256);
    expect(changed.guides[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(planHash(changed)).not.toBe(planHash(first));
  });

  it("an unchanged guide reuses the cached latents; a changed one is encoded again", async () => {
    await writeImage(join(dir, "c.png"), 64, 64, gradient(64, 64));
    const caches = renderCaches(model);
    const plan = planIn(dir, scene("c.png"));
    const first = await renderIn(dir, plan, model, caches);
    expect(caches.guides.encodes).toBe(1);
    const second = await renderIn(dir, planIn(dir, scene("c.png")), model, caches);
    expect(caches.guides.encodes).toBe(1);
    expect(Buffer.from(second.rgb).equals(Buffer.from(first.rgb))).toBe(true);

    await writeImage(join(dir, "c.png"), 64, 64, solid([200, 20, 20]));
    await renderIn(dir, planIn(dir, scene("c.png")), model, caches);
    expect(caches.guides.encodes).toBe(2);
  });

  it("a guide changed after planning is a StaleGuideError", async () => {
    await writeImage(join(dir, "s.png"), 64, 64, gradient(64, 64));
    const plan = planIn(dir, scene("s.png"));
    await writeImage(join(dir, "s.png"), 64, 64, solid([0, 0, 0]));
    const error = await renderIn(dir, plan, model).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleGuideError);
    expect((error as StaleGuideError).file).toBe(join(dir, "s.png"));
    expect((error as Error).message).toMatch(/has changed since the plan was made/);
  });
});

/** A PNG whose header claims `width` x `height` but whose data is a few bytes (a decompression bomb's shape). */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (name: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(name, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter choice, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.alloc(1024))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("bad guide files are diagnostics on the path", () => {
  function only(text: string, limits?: { maxGuidePixels: number }): Diagnostic {
    const result = compileIn(dir, text, limits);
    expect(result.plan).toBeUndefined();
    expect(result.diagnostics).toHaveLength(1);
    const d = result.diagnostics[0]!;
    // On the path's span: the quoted string after `guide `.
    const at = text.indexOf('"', text.indexOf("guide "));
    const end = text.indexOf('"', at + 1) + 1;
    expect(d.location.file).toBe(join(dir, "x.scene"));
    expect([d.location.start.offset, d.location.end.offset]).toEqual([at, end]);
    expect(d.severity).toBe("error");
    return d;
  }

  it("missing: S3003", () => {
    const d = only(scene("nowhere.png"));
    expect(d.code).toBe("S3003");
    expect(d.message).toBe("cannot find guide image `nowhere.png`");
  });

  it("a folder: S3008, not a regular file", () => {
    mkdirSync(join(dir, "folder.png"), { recursive: true });
    const d = only(scene("folder.png"));
    expect(d.code).toBe("S3008");
    expect(d.message).toBe("guide image `folder.png` is not a regular file: it is a directory");
  });

  it("unreadable (the host cannot read it, as without permission): S3004", () => {
    // A host that answers as the file system does for a file without read permission (tests run
    // as root in CI, where chmod cannot take the permission away).
    const text = scene("locked.png");
    const result = compile(text, {
      path: join(dir, "x.scene"),
      host: { readFile: (file) => (file.endsWith("locked.png") ? { ok: false, reason: "unreadable", message: "EACCES: permission denied" } : nodeHost.readFile(file)) },
    });
    expect(result.plan).toBeUndefined();
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([["S3004", "cannot read guide image `locked.png`: EACCES: permission denied"]]);
  });

  it("not an image: S3004", () => {
    writeFileSync(join(dir, "notes.png"), "these are meeting notes, not a picture\n");
    const d = only(scene("notes.png"));
    expect(d.code).toBe("S3004");
    expect(d.message).toBe("`notes.png` is not an image");
  });

  it("a header that claims 100000 x 100000 pixels (a decompression bomb): S3005 before decoding", () => {
    const bomb = pngClaiming(100_000, 100_000);
    expect(bomb.length).toBeLessThan(200);
    writeFileSync(join(dir, "bomb.png"), bomb);
    const d = only(scene("bomb.png"));
    expect(d.code).toBe("S3005");
    expect(d.message).toBe("guide image `bomb.png` is 100000 x 100000, over the limit of 128000000 pixels");
  });

  // A file with a valid header but damaged or missing data must not pass compile and then fail
  // halfway through a render: the compiler checks PNG chunk CRCs and IEND, and JPEG's end marker.
  it("a truncated PNG (valid header, no data): S3004 at compile time", async () => {
    await writeImage(join(dir, "whole.png"), 64, 64, gradient(64, 64));
    writeFileSync(join(dir, "truncated.png"), readFileSync(join(dir, "whole.png")).subarray(0, 60));
    expect(only(scene("truncated.png")).code).toBe("S3004");
    const damaged = Buffer.from(readFileSync(join(dir, "whole.png")));
    damaged[damaged.length - 20] = damaged[damaged.length - 20]! ^ 0xff;
    writeFileSync(join(dir, "damaged.png"), damaged);
    expect(only(scene("damaged.png")).message).toMatch(/is damaged: the PNG chunk `\w+` is damaged/);
  });

  it("a JPEG cut short: S3004 at compile time", async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#884422" } }).jpeg().toBuffer();
    writeFileSync(join(dir, "cut.jpg"), jpeg.subarray(0, jpeg.length - 40));
    expect(only(scene("cut.jpg")).message).toMatch(/no end-of-image marker/);
    writeFileSync(join(dir, "whole.jpg"), jpeg);
    expect(compileIn(dir, scene("whole.jpg")).plan).toBeDefined();
  });

  it("over a lowered maxGuidePixels: S3005", async () => {
    await writeImage(join(dir, "big.png"), 64, 64, gradient(64, 64));
    expect(compileIn(dir, scene("big.png"), { maxGuidePixels: 4096 }).plan).toBeDefined();
    const d = only(scene("big.png"), { maxGuidePixels: 4095 });
    expect(d.code).toBe("S3005");
    expect(d.message).toBe("guide image `big.png` is 64 x 64, over the limit of 4095 pixels");
  });
});
