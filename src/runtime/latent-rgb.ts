/**
 * The linear map from Stable Diffusion 1.x latents (scaled, as the sampler sees them) to RGB in
 * [-1, 1]: `rgb[c] = Σ_l latent[l] · LATENT_RGB_FACTORS[l][c]` (ComfyUI's SD1.5 preview factors).
 * The built-in model's VAE is exactly this map, and live previews of any SD 1.x model use it.
 */
export const LATENT_RGB_FACTORS: readonly (readonly [number, number, number])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

/** The scaling factor of SD 1.x VAEs (latents are multiplied by it before sampling). */
export const SD_SCALING_FACTOR = 0.18215;

/**
 * The Moore–Penrose pseudo-inverse of the factors: RGB in [-1, 1] → the smallest latent that
 * decodes to it. `RGB_LATENT_FACTORS[c][l]`, so `latent[l] = Σ_c rgb[c] · RGB_LATENT_FACTORS[c][l]`.
 */
export const RGB_LATENT_FACTORS: readonly (readonly number[])[] = pseudoInverse(LATENT_RGB_FACTORS);

/** pinv of a 4 x 3 matrix F (as rows): (FᵀF)⁻¹Fᵀ transposed into 3 x 4 rows. */
function pseudoInverse(f: readonly (readonly number[])[]): number[][] {
  // G = FᵀF (3 x 3)
  const g = [0, 1, 2].map((i) => [0, 1, 2].map((j) => f.reduce((s, row) => s + row[i]! * row[j]!, 0)));
  const inv = invert3(g);
  // pinv rows c: Σ_k inv[c][k] · F[l][k] for each latent l
  return [0, 1, 2].map((c) => f.map((row) => [0, 1, 2].reduce((s, k) => s + inv[c]![k]! * row[k]!, 0)));
}

function invert3(m: number[][]): number[][] {
  const [a, b, c] = m[0]!;
  const [d, e, f] = m[1]!;
  const [g, h, i] = m[2]!;
  const A = e! * i! - f! * h!;
  const B = -(d! * i! - f! * g!);
  const C = d! * h! - e! * g!;
  const det = a! * A + b! * B + c! * C;
  return [
    [A / det, -(b! * i! - c! * h!) / det, (b! * f! - c! * e!) / det],
    [B / det, (a! * i! - c! * g!) / det, -(a! * f! - c! * d!) / det],
    [C / det, -(a! * h! - b! * g!) / det, (a! * e! - b! * d!) / det],
  ];
}

/** The latent (scaled) that decodes to an sRGB colour given in [0, 1]. */
export function latentForColour(rgb: readonly [number, number, number]): [number, number, number, number] {
  const z = [0, 0, 0, 0] as [number, number, number, number];
  for (let c = 0; c < 3; c++) for (let l = 0; l < 4; l++) z[l] = z[l]! + (2 * rgb[c]! - 1) * RGB_LATENT_FACTORS[c]![l]!;
  return z;
}
