/** How the compiler reads files: injected, so the compiler itself stays pure and testable. */
export type ReadResult =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; reason: "missing" | "unreadable"; message: string };

export interface CompilerHost {
  readFile(path: string): ReadResult;
  /**
   * Why an image that passes the compiler's own checks (header, pixel limit, checksums) still does
   * not decode, or undefined: it decodes, or the host does not know yet. Decoding is asynchronous
   * and the compiler is not, so the CLI answers from the images it decoded after an earlier
   * compile, and compiles again when a new one fails (src/cli/guide-check.ts).
   */
  decodeProblem?(image: ImageToDecode): string | undefined;
}

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
}

export const DEFAULT_LIMITS: Limits = {
  maxCanvasSide: 16384,
  maxCanvasPixels: 128_000_000,
  maxGuidePixels: 128_000_000,
  maxRegions: 100_000,
};
