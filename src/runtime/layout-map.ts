import type { Plan, PlanShape, Rect } from "../compiler/plan/plan.js";
import { planWeightMaps, weightShares } from "../compiler/plan/weight-map.js";
import type { MaskImages } from "../compiler/plan/image-mask.js";

/** One region's (or shifted grid's) part of a layout map. */
export interface LayoutPaint {
  name: string;
  /** In pixels. */
  rect: Rect;
  /** A region's shape inside `rect`, when it has one. */
  shape?: PlanShape;
  /** Whether a mask image decides where in `rect` it paints (its shares show where). */
  masked?: boolean;
  /** Its colour in the map, 0–255. */
  colour: readonly [number, number, number];
  /** The fraction of the canvas's latent elements where its share of the mix is the largest. */
  owned: number;
  /** Its largest share of the mix anywhere. */
  best: number;
}

/**
 * Who owns each pixel: every latent element coloured by the mix of the region colours, each in
 * proportion to that region's share of the mixing weight there, exactly as the renderer mixes
 * their noise predictions (weight-map.ts). Where one region owns an element it shows in its
 * own colour; where regions blend, so do their colours. No model is needed.
 */
export interface LayoutMap {
  /** In latent elements: the map's resolution. */
  width: number;
  height: number;
  /** RGB, row by row; elements no region covers (a guide's pinned area) are dark grey. */
  rgb: Uint8Array;
  paints: LayoutPaint[];
}

const UNCOVERED = 34;

/** `masks`: the plan's mask images by sha256; a mask not among them shows as its whole rectangle. */
export function layoutMap(plan: Plan, masks?: MaskImages): LayoutMap {
  const { width, height } = plan.latent;
  const paints = [...plan.regions, ...(plan.shiftedGrids ?? [])];
  const layers = planWeightMaps(plan, masks);
  const shares = weightShares(layers, width, height);
  const colours = paints.map((_, i) => paintColour(i));
  const mixed = new Float64Array(width * height * 3);
  const top = new Float32Array(width * height);
  const owner = new Int32Array(width * height).fill(-1);
  const best = new Float64Array(paints.length);
  layers.forEach(({ latent }, k) => {
    const share = shares[k]!;
    const [r, g, b] = colours[k]!;
    for (let j = 0; j < latent.height; j++)
      for (let i = 0; i < latent.width; i++) {
        const s = share[j * latent.width + i]!;
        const at = (latent.y + j) * width + latent.x + i;
        mixed[3 * at]! += s * r;
        mixed[3 * at + 1]! += s * g;
        mixed[3 * at + 2]! += s * b;
        if (s > top[at]!) [top[at], owner[at]] = [s, k];
        if (s > best[k]!) best[k] = s;
      }
  });
  const owned = new Float64Array(paints.length);
  const rgb = new Uint8Array(width * height * 3);
  for (let at = 0; at < width * height; at++) {
    const k = owner[at]!;
    if (k < 0) {
      rgb.fill(UNCOVERED, 3 * at, 3 * at + 3);
      continue;
    }
    owned[k]! += 1;
    for (let c = 0; c < 3; c++) rgb[3 * at + c] = Math.round(mixed[3 * at + c]!);
  }
  return {
    width,
    height,
    rgb,
    paints: paints.map((p, k) => ({
      name: p.name,
      rect: { ...p.rect },
      ...("shape" in p && p.shape ? { shape: p.shape } : {}),
      ...("mask" in p && p.mask ? { masked: true } : {}),
      colour: colours[k]!,
      owned: owned[k]! / (width * height),
      best: best[k]!,
    })),
  };
}

/** Distinct colours for neighbours in declaration order: hues a golden angle apart. */
export function paintColour(index: number): [number, number, number] {
  const hue = (index * 137.508) % 360;
  return hslToRgb(hue, 0.7, 0.55);
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}
