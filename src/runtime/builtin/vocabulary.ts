/**
 * The words the built-in model knows, and what each does to the picture. A prompt's picture is
 * a Gaussian random field over the latents: a mean colour plus a texture with an amplitude, a
 * correlation length across and down (latent pixels; one latent pixel is 8 image pixels), and a
 * share of fine grain. Each word contributes to these; the model averages colours and textures
 * over the words that carry them (weighted), and adds up the modifiers (brightness, saturation).
 * Words it does not know tokenize into byte pieces that carry nothing.
 *
 * Emphasis reaches the picture through the embeddings: a word's embedding carries its weights
 * (attributes.ts), so a token weighted w (`(red:1.5)`) counts w times as much as the others in
 * the averages and in the modifiers' sums; the prompt's mean restoration then scales every token
 * alike, which leaves the words' proportions (only the neutral grey and texture that the averages
 * start from count a little more or less). So `(red:1.5) sky` is redder than `red sky`, and
 * `[red] sky` less.
 * `scenec model vocabulary` prints this table for users.
 */
export interface Texture {
  /** Standard deviation of the texture, in scaled latent units (0.1 smooth … 0.6 busy). */
  amplitude: number;
  /** Correlation length across and down, in latent pixels (1 grainy … 12 broad). */
  across: number;
  down: number;
  /** Share of white (pixel-level) grain in the texture's power, 0..1. */
  grain: number;
}

export interface WordMeaning {
  /** sRGB in [0, 1]. */
  colour?: readonly [number, number, number];
  /** How strongly the colour counts in the average (default 1). */
  colourWeight?: number;
  texture?: Texture;
  textureWeight?: number;
  /** Added to the prompt's colour, in RGB units of [-1, 1] (dark −0.3, bright +0.25). */
  brightness?: number;
  /** Added to the log of the saturation factor (pale −0.8, vivid +0.5). */
  saturation?: number;
  /** What it looks like, for the documentation. */
  note: string;
}

const tex = (amplitude: number, across: number, down: number, grain = 0): Texture => ({ amplitude, across, down, grain });

const SMOOTH = tex(0.12, 10, 10, 0);
const WAVES = tex(0.4, 12, 1.5, 0.05);
const FOLIAGE = tex(0.5, 2, 2, 0.35);
const GRASS = tex(0.35, 1.2, 1, 0.6);
const BLOCKS = tex(0.45, 5, 5, 0);
const METAL = tex(0.35, 3, 3, 0.1);
const GRAINY = tex(0.5, 1.5, 1.5, 0.6);
const STRIPES = tex(0.35, 8, 2, 0.1);
const SWIRLS = tex(0.6, 3, 3, 0.15);
const BROAD = tex(0.35, 8, 6, 0.05);

export const VOCABULARY: Readonly<Record<string, WordMeaning>> = {
  // Colours
  red: { colour: [0.8, 0.15, 0.12], note: "red" },
  crimson: { colour: [0.65, 0.08, 0.15], note: "deep red" },
  orange: { colour: [0.95, 0.55, 0.15], note: "orange" },
  yellow: { colour: [0.92, 0.82, 0.2], note: "yellow" },
  gold: { colour: [0.85, 0.68, 0.22], note: "gold" },
  golden: { colour: [0.88, 0.7, 0.3], note: "golden" },
  ochre: { colour: [0.8, 0.6, 0.2], note: "ochre" },
  green: { colour: [0.2, 0.6, 0.22], note: "green" },
  teal: { colour: [0.1, 0.55, 0.55], note: "blue-green" },
  cyan: { colour: [0.2, 0.75, 0.85], note: "cyan" },
  blue: { colour: [0.15, 0.3, 0.8], note: "blue" },
  navy: { colour: [0.08, 0.12, 0.35], note: "dark blue" },
  purple: { colour: [0.5, 0.2, 0.6], note: "purple" },
  violet: { colour: [0.55, 0.35, 0.8], note: "violet" },
  magenta: { colour: [0.85, 0.2, 0.6], note: "magenta" },
  pink: { colour: [0.95, 0.6, 0.72], note: "pink" },
  brown: { colour: [0.45, 0.3, 0.18], note: "brown" },
  beige: { colour: [0.85, 0.78, 0.62], note: "beige" },
  white: { colour: [0.95, 0.95, 0.95], note: "white" },
  grey: { colour: [0.5, 0.5, 0.5], note: "grey" },
  gray: { colour: [0.5, 0.5, 0.5], note: "grey" },
  silver: { colour: [0.75, 0.76, 0.8], note: "silver" },
  black: { colour: [0.06, 0.06, 0.07], note: "black" },

  // Landscapes and things
  sky: { colour: [0.5, 0.7, 0.95], texture: SMOOTH, note: "light blue, smooth" },
  clouds: { colour: [0.85, 0.86, 0.9], texture: BROAD, note: "white-grey, broad soft patches" },
  cloud: { colour: [0.85, 0.86, 0.9], texture: BROAD, note: "white-grey, broad soft patches" },
  sun: { colour: [1, 0.85, 0.4], brightness: 0.15, note: "warm yellow light" },
  sunset: { colour: [0.95, 0.55, 0.3], colourWeight: 0.6, note: "orange light (a lighting word: counts 0.6)" },
  sunrise: { colour: [0.98, 0.7, 0.45], colourWeight: 0.6, note: "peach light (counts 0.6)" },
  night: { colour: [0.08, 0.1, 0.25], brightness: -0.2, note: "dark blue, darker" },
  sea: { colour: [0.1, 0.35, 0.6], texture: WAVES, note: "deep blue, horizontal waves" },
  ocean: { colour: [0.08, 0.3, 0.55], texture: WAVES, note: "deep blue, horizontal waves" },
  waves: { colour: [0.2, 0.45, 0.7], texture: WAVES, note: "blue, horizontal waves" },
  water: { colour: [0.2, 0.45, 0.7], texture: WAVES, note: "blue, horizontal ripples" },
  lake: { colour: [0.25, 0.45, 0.6], texture: tex(0.2, 10, 2), note: "blue-grey, calm ripples" },
  river: { colour: [0.25, 0.45, 0.65], texture: WAVES, note: "blue, flowing ripples" },
  desert: { colour: [0.88, 0.7, 0.45], texture: tex(0.25, 7, 2, 0.2), note: "warm sand, wind ripples" },
  sand: { colour: [0.9, 0.78, 0.55], texture: tex(0.2, 4, 2, 0.5), note: "pale sand, grainy" },
  beach: { colour: [0.9, 0.8, 0.6], texture: tex(0.2, 6, 2, 0.4), note: "pale sand" },
  snow: { colour: [0.93, 0.95, 1], texture: SMOOTH, note: "white, smooth" },
  ice: { colour: [0.8, 0.9, 0.97], texture: tex(0.15, 6, 6), note: "pale blue, smooth" },
  forest: { colour: [0.12, 0.33, 0.12], texture: FOLIAGE, note: "dark green, leafy blobs" },
  trees: { colour: [0.15, 0.38, 0.14], texture: FOLIAGE, note: "green, leafy blobs" },
  tree: { colour: [0.18, 0.4, 0.15], texture: FOLIAGE, note: "green, leafy blobs" },
  jungle: { colour: [0.1, 0.4, 0.12], texture: FOLIAGE, note: "lush green, leafy" },
  grass: { colour: [0.35, 0.62, 0.2], texture: GRASS, note: "fresh green, fine grain" },
  pastures: { colour: [0.4, 0.62, 0.25], texture: GRASS, note: "grass green, fine grain" },
  meadow: { colour: [0.45, 0.65, 0.25], texture: GRASS, note: "grass green, fine grain" },
  field: { colour: [0.55, 0.6, 0.25], texture: tex(0.3, 6, 1.5, 0.3), note: "yellow-green, furrows" },
  fields: { colour: [0.55, 0.6, 0.25], texture: tex(0.3, 6, 1.5, 0.3), note: "yellow-green, furrows" },
  countryside: { colour: [0.42, 0.55, 0.3], colourWeight: 0.5, texture: tex(0.3, 4, 3, 0.2), textureWeight: 0.5, note: "soft green (counts 0.5)" },
  landscape: { colour: [0.42, 0.52, 0.35], colourWeight: 0.5, note: "muted green (counts 0.5)" },
  hills: { colour: [0.35, 0.5, 0.28], texture: BROAD, note: "green, broad undulations" },
  mountains: { colour: [0.45, 0.45, 0.52], texture: tex(0.45, 6, 4, 0.1), note: "blue-grey, large masses" },
  mountain: { colour: [0.45, 0.45, 0.52], texture: tex(0.45, 6, 4, 0.1), note: "blue-grey, large masses" },
  rock: { colour: [0.5, 0.48, 0.45], texture: tex(0.4, 2, 2, 0.3), note: "grey stone, rough" },
  rocks: { colour: [0.5, 0.48, 0.45], texture: tex(0.4, 2, 2, 0.3), note: "grey stone, rough" },
  stone: { colour: [0.55, 0.53, 0.5], texture: tex(0.35, 2.5, 2.5, 0.25), note: "grey stone" },
  road: { colour: [0.5, 0.4, 0.28], texture: STRIPES, note: "dusty brown, long streaks" },
  dirt: { colour: [0.45, 0.33, 0.2], texture: GRAINY, note: "earth brown, grainy" },
  path: { colour: [0.55, 0.45, 0.3], texture: STRIPES, note: "light brown, streaks" },
  house: { colour: [0.7, 0.38, 0.28], texture: BLOCKS, note: "brick red, blocky shapes" },
  houses: { colour: [0.7, 0.4, 0.3], texture: BLOCKS, note: "brick red, blocky shapes" },
  village: { colour: [0.68, 0.45, 0.32], texture: BLOCKS, note: "warm brick, blocky" },
  castle: { colour: [0.6, 0.58, 0.55], texture: BLOCKS, note: "pale stone, blocky" },
  city: { colour: [0.45, 0.45, 0.5], texture: tex(0.5, 2, 4), note: "grey, tall blocks" },
  building: { colour: [0.6, 0.55, 0.5], texture: BLOCKS, note: "concrete, blocky" },
  robot: { colour: [0.55, 0.58, 0.62], texture: METAL, note: "steel grey, hard-edged texture" },
  machine: { colour: [0.5, 0.52, 0.55], texture: METAL, note: "steel grey" },
  metal: { colour: [0.62, 0.64, 0.68], texture: METAL, note: "bright steel" },
  rusty: { colour: [0.62, 0.3, 0.12], texture: GRAINY, note: "rust orange-brown, pitted" },
  rust: { colour: [0.62, 0.3, 0.12], texture: GRAINY, note: "rust orange-brown, pitted" },
  wood: { colour: [0.55, 0.38, 0.22], texture: tex(0.3, 1.5, 6), note: "brown, vertical grain" },
  wooden: { colour: [0.55, 0.38, 0.22], texture: tex(0.3, 1.5, 6), note: "brown, vertical grain" },
  fire: { colour: [0.95, 0.4, 0.1], texture: tex(0.5, 2, 4, 0.2), brightness: 0.1, note: "flame orange, flickering" },
  lava: { colour: [0.9, 0.3, 0.05], texture: SWIRLS, note: "glowing orange, swirls" },
  flowers: { colour: [0.9, 0.45, 0.6], texture: GRAINY, saturation: 0.3, note: "pink blossoms, speckled" },
  garden: { colour: [0.35, 0.58, 0.3], texture: FOLIAGE, note: "green, speckled" },
  neon: { colour: [0.9, 0.2, 0.85], saturation: 0.5, note: "glowing magenta, vivid" },

  // Artists and styles
  ukiyo: { colour: [0.62, 0.66, 0.7], texture: tex(0.25, 6, 3), note: "ukiyo-e: muted indigo and paper tones, flat bands" },
  hokusai: { colour: [0.25, 0.4, 0.6], texture: WAVES, note: "indigo, waves" },
  velazquez: { colour: [0.32, 0.24, 0.16], texture: tex(0.3, 4, 4), brightness: -0.1, note: "dark umber, soft" },
  van: { colour: [0.3, 0.4, 0.7], colourWeight: 0.5, texture: SWIRLS, textureWeight: 0.5, note: "(van gogh) blue, swirls" },
  gogh: { colour: [0.45, 0.5, 0.55], colourWeight: 0.5, texture: SWIRLS, note: "blue-yellow swirls" },
  picasso: { colour: [0.6, 0.5, 0.38], texture: tex(0.5, 6, 6), note: "ochre and blue planes, blocky" },
  cubism: { colour: [0.55, 0.48, 0.38], texture: tex(0.5, 6, 6), note: "flat angular planes" },
  synthwave: { colour: [0.6, 0.2, 0.7], texture: tex(0.4, 14, 1), saturation: 0.4, note: "magenta-purple, horizontal scan lines" },
  rozalski: { colour: [0.72, 0.52, 0.36], colourWeight: 0.3, note: "warm hazy palette (counts 0.3)" },
  mondrian: { colour: [0.85, 0.75, 0.3], texture: tex(0.6, 8, 8), note: "primary blocks" },
  malevich: { colour: [0.7, 0.3, 0.25], texture: tex(0.5, 8, 8), note: "bold flat shapes" },
  popova: { colour: [0.75, 0.45, 0.3], texture: tex(0.5, 6, 6), note: "warm constructivist planes" },
  abstract: { texture: tex(0.55, 5, 5), note: "strong, large shapes" },
  mosaic: { texture: tex(0.5, 1.5, 1.5, 0.4), note: "small tesserae" },
  painting: { texture: tex(0.35, 2, 2, 0.3), textureWeight: 0.3, note: "brush texture (counts 0.3)" },
  oil: { texture: tex(0.4, 2, 2, 0.3), textureWeight: 0.3, note: "thick brush texture (counts 0.3)" },
  illustration: { texture: tex(0.15, 6, 6), textureWeight: 0.5, note: "flatter shading (counts 0.5)" },
  watercolor: { texture: tex(0.2, 6, 6, 0.2), saturation: -0.3, note: "soft washes, paler" },

  // Modifiers
  dark: { brightness: -0.3, note: "darker" },
  darker: { brightness: -0.4, note: "much darker" },
  bright: { brightness: 0.25, note: "brighter" },
  light: { brightness: 0.15, note: "lighter" },
  pale: { brightness: 0.1, saturation: -0.8, note: "washed out" },
  muted: { saturation: -0.5, note: "less saturated" },
  vivid: { saturation: 0.5, note: "more saturated" },
  vibrant: { saturation: 0.5, note: "more saturated" },
  colorful: { saturation: 0.5, note: "more saturated" },
  colors: { saturation: 0.2, note: "a little more saturated" },
  calm: { texture: tex(0.12, 10, 10), note: "quieter texture" },
  smooth: { texture: SMOOTH, textureWeight: 0.3, note: "a little smoother (counts 0.3)" },
  swirling: { texture: SWIRLS, note: "swirls" },
  detailed: { texture: tex(0.35, 1.5, 1.5, 0.6), textureWeight: 0.3, note: "a little finer grain (counts 0.3)" },
  intricate: { texture: tex(0.35, 1.5, 1.5, 0.6), textureWeight: 0.3, note: "a little finer grain (counts 0.3)" },
  flat: { texture: tex(0.08, 12, 12), note: "almost no texture" },
  rolling: { texture: BROAD, note: "broad undulations" },
};

/**
 * Words the model knows but that change nothing: one token each (as in CLIP's vocabulary), so
 * that prompts written for Stable Diffusion count their tokens about as they would there
 * instead of spilling into byte pieces and past the 75-token limit.
 */
export const NEUTRAL_WORDS: readonly string[] = [
  "a", "an", "the", "and", "or", "of", "in", "on", "at", "by", "with", "without", "from", "to", "into", "over", "under",
  "above", "below", "behind", "near", "across", "through", "for", "as", "is", "are", "its", "their", "his", "her",
  "old", "new", "young", "giant", "small", "big", "large", "tiny", "huge", "little", "tall", "long", "wide",
  "charming", "beautiful", "pretty", "lovely", "cute", "impressive", "epic", "cinematic", "dramatic", "moody",
  "elegant", "highly", "detailed", "sharp", "focus", "artstation", "stunning", "masterpiece", "trending", "quality",
  "best", "ultra", "photo", "photograph", "photorealistic", "realistic", "render", "rendering", "concept", "art",
  "artwork", "style", "by", "lighting", "lit", "light", "shadows", "scene", "view", "background", "foreground",
  "center", "centre", "left", "right", "top", "bottom", "crossing", "lying", "standing", "sitting", "walking",
  "flying", "floating", "jakub", "vincent", "pablo", "diego", "lyubov", "kazimir", "kadinski", "kandinsky", "katsushika",
  "decorative", "strokes", "brush", "stroke", "print", "woodblock", "postcard", "panorama", "wallpaper", "canvas",
  "one", "two", "three", "many", "some", "very", "extremely", "day", "morning", "evening", "summer", "winter",
  "autumn", "spring", "people", "person", "man", "woman", "blurry", "lowres", "ugly", "bad", "worst", "text",
  "watermark", "signature", "e",
].filter((w) => !(w in VOCABULARY));

function describeTexture(t: Texture): string {
  const direction = t.across > 2 * t.down ? "horizontal streaks" : t.down > 2 * t.across ? "vertical streaks" : t.across >= 6 ? "broad patches" : t.across <= 2 ? "fine detail" : "medium patches";
  return `texture ${t.amplitude.toFixed(2)}, ${direction}${t.grain >= 0.3 ? ", grainy" : ""}`;
}

/** The vocabulary as a plain-text table: word, colour, texture, modifiers, and the note. */
export function vocabularyTable(): string {
  const hex = (c: readonly number[]) => `#${c.map((v) => Math.round(v * 255).toString(16).padStart(2, "0")).join("")}`;
  const rows = Object.entries(VOCABULARY)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([word, m]) => {
      const parts = [
        m.colour ? `colour ${hex(m.colour)}${m.colourWeight !== undefined ? ` (weight ${m.colourWeight})` : ""}` : "",
        m.texture ? `${describeTexture(m.texture)}${m.textureWeight !== undefined ? ` (weight ${m.textureWeight})` : ""}` : "",
        m.brightness ? `brightness ${m.brightness > 0 ? "+" : ""}${m.brightness}` : "",
        m.saturation ? `saturation ${m.saturation > 0 ? "+" : ""}${m.saturation}` : "",
      ].filter(Boolean);
      return `${word.padEnd(14)}${m.note.padEnd(52)}${parts.join("; ")}`;
    });
  return `${"word".padEnd(14)}${"what it paints".padEnd(52)}attributes\n${rows.join("\n")}\n\nEmphasis: a word weighted w, as in \`(red:1.5)\` or \`[red]\`, counts w times as much as the other words.\n\nKnown words without effect (so prompts count tokens as with CLIP): ${NEUTRAL_WORDS.join(", ")}\n`;
}
