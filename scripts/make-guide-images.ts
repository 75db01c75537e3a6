/**
 * Makes the guide images that the example scenes use, so the project ships no third-party art:
 *
 * - scenes/guides/postcard-sea.png    (352 x 352) a sky-to-sea gradient with a low sun and its
 *                                      reflection on the water (postcard.scene);
 * - scenes/guides/outpaint-center.png (640 x 480) a landscape: sky gradient, sun, three ranges of
 *                                      rolling hills (outpaint.scene).
 *
 * Every pixel is computed from its coordinates alone (no randomness), so the files are the same on
 * every run. Run with `npm run guides`.
 */
import { mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import sharp from "sharp";
import { packageRoot } from "../src/package-root.js";

type Rgb = readonly [number, number, number];

const clamp01 = (t: number): number => (t < 0 ? 0 : t > 1 ? 1 : t);
const smoothstep = (a: number, b: number, t: number): number => {
  const u = clamp01((t - a) / (b - a));
  return u * u * (3 - 2 * u);
};
const mix = (a: Rgb, b: Rgb, t: number): Rgb => [
  a[0] + (b[0] - a[0]) * t,
  a[1] + (b[1] - a[1]) * t,
  a[2] + (b[2] - a[2]) * t,
];
/** Piecewise-linear colour ramp over stops at increasing positions in 0..1. */
function ramp(stops: readonly (readonly [number, Rgb])[], t: number): Rgb {
  const first = stops[0]!;
  if (t <= first[0]) return first[1];
  for (let i = 1; i < stops.length; i++) {
    const [p1, c1] = stops[i]!;
    const [p0, c0] = stops[i - 1]!;
    if (t <= p1) return mix(c0, c1, (t - p0) / (p1 - p0));
  }
  return stops[stops.length - 1]![1];
}

/** Renders an RGB image from a per-pixel function (pixel centres, coordinates in pixels). */
function render(width: number, height: number, pixel: (x: number, y: number) => Rgb): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = pixel(x + 0.5, y + 0.5);
      const o = (y * width + x) * 3;
      data[o] = Math.round(255 * clamp01(c[0] / 255));
      data[o + 1] = Math.round(255 * clamp01(c[1] / 255));
      data[o + 2] = Math.round(255 * clamp01(c[2] / 255));
    }
  }
  return data;
}

/** 352 x 352: sunset sky over a calm sea, the sun low above the horizon, its glitter on the water. */
function postcardSea(width: number, height: number): Buffer {
  const horizon = 0.42 * height;
  const sun = { x: 0.62 * width, y: 0.3 * height, r: 0.075 * width };
  const sky = [
    [0, [58, 92, 168]],
    [0.55, [232, 150, 120]],
    [1, [252, 206, 140]],
  ] as const;
  const sea = [
    [0, [196, 130, 110]],
    [0.25, [48, 92, 140]],
    [1, [14, 42, 86]],
  ] as const;
  return render(width, height, (x, y) => {
    if (y < horizon) {
      let c = ramp(sky, y / horizon);
      // The sun disc, its edge softened over two pixels, inside a wide warm glow.
      const d = Math.hypot(x - sun.x, y - sun.y);
      c = mix(c, [255, 226, 160], 0.45 * Math.exp(-((d / (4 * sun.r)) ** 2)));
      c = mix(c, [255, 244, 214], 1 - smoothstep(sun.r - 1, sun.r + 1, d));
      return c;
    }
    const depth = (y - horizon) / (height - horizon);
    let c = ramp(sea, depth);
    // The sun's reflection: a column of light that widens towards the viewer, with soft ripples.
    const halfWidth = sun.r * (0.6 + 2.2 * depth);
    const across = Math.exp(-(((x - sun.x) / halfWidth) ** 2));
    const ripples = 0.5 + 0.5 * Math.sin((y - horizon) * (0.35 - 0.2 * depth));
    c = mix(c, [250, 200, 140], across * (0.25 + 0.35 * ripples) * (1 - 0.6 * depth));
    // A thin haze along the horizon.
    c = mix(c, [236, 170, 140], 0.5 * Math.exp(-((y - horizon) / 6)));
    return c;
  });
}

/** 640 x 480: a sky from deep blue to pale yellow, a sun, three ranges of green hills. */
function outpaintCenter(width: number, height: number): Buffer {
  const sky = [
    [0, [70, 112, 186]],
    [0.6, [150, 186, 222]],
    [1, [236, 224, 180]],
  ] as const;
  const sun = { x: 0.3 * width, y: 0.28 * height, r: 0.055 * width };
  // Each range: a ridge line y = base + sum of sines (in pixels), and a colour from top to bottom.
  const ranges = [
    { base: 0.52, waves: [[0.06, 1.3, 0.4], [0.025, 3.1, 1.7]], top: [96, 132, 150], bottom: [120, 150, 150] },
    { base: 0.64, waves: [[0.07, 1.9, 2.2], [0.02, 4.7, 0.3]], top: [72, 128, 80], bottom: [52, 100, 60] },
    { base: 0.8, waves: [[0.06, 1.1, 4.0], [0.025, 3.7, 2.9]], top: [110, 150, 60], bottom: [60, 96, 40] },
  ] as const;
  return render(width, height, (x, y) => {
    const u = x / width;
    let c = ramp(sky, y / (0.6 * height));
    const d = Math.hypot(x - sun.x, y - sun.y);
    c = mix(c, [255, 240, 200], 0.35 * Math.exp(-((d / (3 * sun.r)) ** 2)));
    c = mix(c, [255, 248, 224], 1 - smoothstep(sun.r - 1, sun.r + 1, d));
    for (const range of ranges) {
      let ridge = range.base;
      for (const [amplitude, frequency, phase] of range.waves) {
        ridge += amplitude * Math.sin(2 * Math.PI * frequency * u + phase);
      }
      const ridgeY = ridge * height;
      const cover = smoothstep(ridgeY - 1, ridgeY + 1, y);
      if (cover > 0) {
        const hill = mix(range.top, range.bottom, clamp01((y - ridgeY) / (height - ridgeY)));
        c = mix(c, hill, cover);
      }
    }
    return c;
  });
}

async function writePng(path: string, width: number, height: number, data: Buffer): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
    .toFile(path);
}

async function main(): Promise<void> {
  const root = packageRoot();
  const guides = join(root, "scenes", "guides");
  const images = [
    { name: "postcard-sea.png", width: 352, height: 352, make: postcardSea },
    { name: "outpaint-center.png", width: 640, height: 480, make: outpaintCenter },
  ];
  for (const image of images) {
    const path = join(guides, image.name);
    await writePng(path, image.width, image.height, image.make(image.width, image.height));
    console.log(`wrote ${relative(root, path)} (${image.width} x ${image.height})`);
  }
}

await main();
