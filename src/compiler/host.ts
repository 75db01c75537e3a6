import type { MaskImage } from "./plan/image-mask.js";

/** How the compiler reads files: injected, so the compiler itself stays pure and testable. */
export type ReadResult =
  | { ok: true; bytes: Uint8Array }
  | {
      ok: false;
      /**
       * `not-a-file`: a folder, a device, a FIFO or a socket, which are never read (a device or a
       * FIFO would never end, or block); `too-large`: over the byte limit the compiler asked for.
       */
      reason: "missing" | "unreadable" | "not-a-file" | "too-large";
      /** What is wrong, to follow the file's name: `is a directory`, `is 5 MB, over the limit of 4 MB`. */
      message: string;
    };

export interface CompilerHost {
  /**
   * The bytes of the regular file at `path`. A host should refuse a file of more than `maxBytes`
   * without reading it (`too-large`); the compiler treats more bytes than that as too large anyway.
   */
  readFile(path: string, maxBytes?: number): ReadResult;
  /** `path` with symbolic links resolved (the path itself when it cannot be), for the project-root rule. */
  realPath?(path: string): string;
  /**
   * Why an image that passes the compiler's own checks (header, pixel limit, checksums) still does
   * not decode, or undefined: it decodes, or the host does not know yet. Decoding is asynchronous
   * and the compiler is not, so the CLI answers from the images it decoded after an earlier
   * compile, and compiles again when a new one fails (src/cli/guide-check.ts).
   */
  decodeProblem?(image: ImageToDecode): string | undefined;
  /**
   * A mask image's pixels (its grey level, or its alpha), so that the coverage and dominance
   * checks see the mask itself; or why it does not decode; or undefined: the host does not decode
   * images, or has not yet (the CLI decodes after a compile that met a new mask and compiles
   * again). Without its pixels, a mask's region counts as its whole rectangle in those checks.
   */
  decodeMask?(image: ImageToDecode): MaskDecode | undefined;
}

export type MaskDecode = { ok: true; image: MaskImage } | { ok: false; problem: string };

/** An image the compiler has read and checked, for a host that can decode it. */
export interface ImageToDecode {
  bytes: Uint8Array;
  sha256: string;
  /** Its width times its height, from the header: the decoder's pixel limit. */
  pixels: number;
}

export interface Limits {
  /** Largest canvas side in pixels. */
  maxCanvasSide: number;
  /** Largest canvas area in pixels. */
  maxCanvasPixels: number;
  /** Largest decoded guide image in pixels (a guard against decompression bombs). */
  maxGuidePixels: number;
  /** Most regions (grid cells included) in one scene; checked before any grid is expanded. */
  maxRegions: number;
  /** Largest scene or imported file, in bytes. */
  maxSourceBytes: number;
  /** Longest token (a string, a name, a number) in characters; checked before parsing. */
  maxTokenLength: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxCanvasSide: 16384,
  maxCanvasPixels: 128_000_000,
  maxGuidePixels: 128_000_000,
  maxRegions: 100_000,
  maxSourceBytes: 4_000_000,
  maxTokenLength: 10_000,
};

/**
 * The largest guide file, in bytes: 8 bytes a pixel (16-bit RGBA, uncompressed: the largest
 * common encoding) of the largest guide allowed, plus room for metadata. Derived from the pixel
 * limit, so that raising one raises the other; the pixel limit itself is checked from the header.
 */
export function maxGuideBytes(limits: Pick<Limits, "maxGuidePixels">): number {
  return limits.maxGuidePixels * 8 + 16 * 1024 * 1024;
}

/**
 * The largest noise file, in bytes: float32 latents (4 channels, one per 8 x 8 pixels) of the
 * largest canvas allowed, plus room for the header.
 */
export function maxNoiseBytes(limits: Pick<Limits, "maxCanvasPixels">): number {
  return Math.ceil((limits.maxCanvasPixels / 64) * 4 * 4) + 64 * 1024;
}

/** `100 bytes`, `1.5 kB`, `4 MB`: a byte count for messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} byte${bytes === 1 ? "" : "s"}`;
  const [unit, scale] = bytes < 1_000_000 ? ["kB", 1000] : ["MB", 1_000_000];
  return `${Number((bytes / scale).toPrecision(3))} ${unit}`;
}
