import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { GuideDecoder } from "../src/cli/guide-check.js";
import { compile, type CompileResult } from "../src/compiler/compile.js";
import { imageMask, type MaskImage } from "../src/compiler/plan/image-mask.js";
import { planWeightMaps, weightShares } from "../src/compiler/plan/weight-map.js";
import { decodeMaskImage } from "../src/runtime/guides/mask-image.js";
import { lMask } from "./helpers/mask-images.js";
import { memoryHost } from "./helpers/memory-host.js";

const solid = async (colour: string, width = 16, height = 16) => new Uint8Array(await sharp({ create: { width, height, channels: 3, background: colour } }).png().toBuffer());

let L: Uint8Array;
let files: Record<string, string | Uint8Array>;
beforeAll(async () => {
  L = await lMask(64);
  files = { "l.png": L, "black.png": await solid("#000000"), "white.png": await solid("#ffffff"), "notes.txt": "not an image\n", "wide.png": await solid("#ffffff", 32, 16) };
});

/** Compiles as the CLI does: mask images decoded by the host, the scene compiled again with them. */
function compileMasked(text: string): Promise<CompileResult> {
  return new GuideDecoder().compile((host) => compile(text, { path: "s.scene", host }), memoryHost(files));
}

const codes = (r: CompileResult) => r.diagnostics.map((d) => d.code);

describe("mask images: membership from pixels", () => {
  it("averages an L to latent elements: whole in its arms, empty elsewhere, with fractional elements on its edges", async () => {
    const image = await decodeMaskImage(L, 64 * 64);
    // 64 x 64 image over a 64 x 64-pixel box, 8 x 8 elements; the arms are 16 px (two elements) wide.
    const mask = imageMask(image, { fit: "stretch", feather: 0, invert: false }, 64, 64, 8);
    expect(mask[0]).toBe(1); // top-left: in the vertical arm
    expect(mask[7 * 8 + 7]).toBe(1); // bottom-right: in the horizontal arm
    expect(mask[0 * 8 + 7]).toBe(0); // top-right: outside
    expect(mask[3 * 8 + 4]).toBe(0); // the inside corner's far side
    const scaled = imageMask(image, { fit: "stretch", feather: 0, invert: false }, 48, 48, 8);
    // 16 image px -> 12 px: the arm's edge falls halfway through element 1.
    expect(scaled[0 * 6 + 1]).toBeCloseTo(0.5, 5);
  });

  it("uses alpha when the image has transparency, and grey level otherwise", async () => {
    const withAlpha = await decodeMaskImage(await lMask(64, { alpha: true }), 64 * 64);
    const grey = await decodeMaskImage(await solid("#808080"), 256);
    expect(withAlpha.membership[0]).toBe(255);
    expect(withAlpha.membership[63]).toBe(0);
    expect(grey.membership[0]).toBe(128);
    // An opaque alpha channel says nothing: the grey level counts.
    const opaque = await decodeMaskImage(new Uint8Array(await sharp(L).ensureAlpha().png().toBuffer()), 64 * 64);
    expect([opaque.membership[0], opaque.membership[63]]).toEqual([255, 0]);
  });

  it("places the image by `fit`: contain leaves margins outside the mask, cover crops, invert flips", () => {
    const white: MaskImage = { width: 2, height: 1, membership: new Uint8Array([255, 255]) };
    // A 2:1 image in a 64 x 64 box: contain fills the middle half of the rows; stretch all of them.
    const contain = imageMask(white, { fit: "contain", feather: 0, invert: false }, 64, 64, 8);
    expect([...contain.filter((_, e) => e % 8 === 0)]).toEqual([0, 0, 1, 1, 1, 1, 0, 0]);
    expect(imageMask(white, { fit: "stretch", feather: 0, invert: false }, 64, 64, 8).every((m) => m === 1)).toBe(true);
    const half: MaskImage = { width: 2, height: 1, membership: new Uint8Array([255, 0]) };
    // Cover keeps the middle half of the columns: the left one's right half and the right one's left half.
    const cover = imageMask(half, { fit: "cover", feather: 0, invert: false }, 64, 64, 8);
    expect([...cover.slice(0, 8)]).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    const inverted = imageMask(half, { fit: "cover", feather: 0, invert: true }, 64, 64, 8);
    expect([...inverted.slice(0, 8)]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
  });

  it("feathers the edge into a ramp as wide as `feather`, and not the box's own sides", () => {
    const half: MaskImage = { width: 2, height: 1, membership: new Uint8Array([255, 0]) };
    const row = (feather: number) => [...imageMask(half, { fit: "stretch", feather, invert: false }, 128, 8, 8)];
    expect(row(0)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const soft = row(32);
    expect(soft[0]).toBe(1);
    expect(soft[15]).toBe(0);
    // Four elements (32 px) of ramp, centred on the edge between elements 7 and 8: the pixel ramp's means.
    expect(soft.slice(5, 11).map((m) => Math.round(m * 100) / 100)).toEqual([1, 0.88, 0.63, 0.38, 0.13, 0]);
  });
});

describe("mask images in scenes", () => {
  const scene = (mask: string, extra = "") => `canvas 256 x 256
region sky { prompt "blue" }
region wall { at 64, 64  size 128 x 128  mask ${mask}  prompt "red"  weight 9 }
${extra}`;

  it("records the mask in the plan as path, hash and placement", async () => {
    const result = await compileMasked(scene('"l.png" fit contain feather 8 invert'));
    expect(codes(result)).toEqual([]);
    const mask = result.plan!.regions[1]!.mask!;
    expect(mask).toMatchObject({ path: "l.png", imageSize: { width: 64, height: 64 }, fit: "contain", feather: 8, invert: true });
    expect(mask.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.dependencies).toContain("l.png");
  });

  it("mixes by the mask: the wall holds the L, the sky the rest of its box", async () => {
    // Constant kernels: only the mask decides.
    const result = await compileMasked(`blend constant\n${scene('"l.png" feather 0')}`);
    const plan = result.plan!;
    const shares = weightShares(planWeightMaps(plan, result.maskImages), plan.latent.width, plan.latent.height);
    const wall = shares[1]!; // 16 x 16 elements; the arms are 4 elements wide
    expect(wall[0]).toBeGreaterThan(0.85); // in the vertical arm
    expect(wall[15 * 16 + 15]).toBeGreaterThan(0.85); // in the horizontal arm
    expect(wall[0 * 16 + 15]).toBe(0); // outside the L
  });

  it("counts only the mask as covered (S2003), once the host has decoded it", async () => {
    const alone = `canvas 128 x 128\nregion wall { at 0, 0  size 128 x 128  mask "l.png" }\n`;
    expect(codes(await compileMasked(alone))).toEqual(["S2003"]);
    // A host that does not decode images: the checks see the whole rectangle.
    expect(codes(compile(alone, { path: "s.scene", host: memoryHost(files) }))).toEqual([]);
  });

  it("reports an empty mask (S2033), a mask and a shape together (S2020), and unusable files (S3014)", async () => {
    expect(codes(await compileMasked(scene('"black.png"')))).toEqual(["S2033"]);
    const inverted = await compileMasked(scene('"white.png" invert'));
    expect(inverted.diagnostics.map((d) => [d.code, d.message])).toEqual([["S2033", "the inverted mask `white.png` of `wall` covers none of its rectangle"]]);
    expect(codes(await compileMasked(scene('"l.png" shape ellipse')))).toEqual(["S2020"]);
    expect(codes(await compileMasked(scene('"missing.png"')))).toEqual(["S3014"]);
    expect(codes(await compileMasked(scene('"notes.txt"')))).toEqual(["S3014"]);
    expect(codes(await compileMasked(scene('"l.png" fit fill')))).toEqual(["S2009"]);
    expect(codes(await compileMasked(scene('"../l.png"')))).toEqual(["S3007"]);
  });

  it("reports a mask whose pixel data does not decode (S3014), as the host found when it decoded it", async () => {
    // A JPEG with every marker in place but its entropy-coded data overwritten.
    const raw = Buffer.alloc(64 * 64 * 3).map((_, i) => (i * 7919) % 251);
    const jpeg = Buffer.from(await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer());
    const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    for (let i = sos + 2 + jpeg.readUInt16BE(sos + 2) + 20; i < jpeg.length - 40; i++) jpeg[i] = (i * 37 + 11) % 255;
    const text = scene('"bad.jpg"');
    expect(codes(compile(text, { path: "s.scene", host: memoryHost({ "bad.jpg": jpeg }) })), "the compiler alone reads its header only").toEqual([]);
    const result = await new GuideDecoder().compile((host) => compile(text, { path: "s.scene", host }), memoryHost({ "bad.jpg": new Uint8Array(jpeg) }));
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([["S3014", "mask image `bad.jpg` is damaged: its pixel data does not decode (Corrupt JPEG data: bad Huffman code)"]]);
  });

  it("lets a grid's cell have a mask, read once for all the cells that name it", async () => {
    const result = await compileMasked(`canvas 256 x 128
grid g {
  tile 128 x 128
  columns 2
  rows 1
  prompt "blue"
  cell 1, 0 { mask "l.png" }
}
region under { prompt "green" }
`);
    expect(codes(result)).toEqual([]);
    expect(result.plan!.regions.filter((r) => r.mask).map((r) => r.name)).toEqual(["g[1,0]"]);
  });
});
