/** How the compiler reads files: injected, so the compiler itself stays pure and testable. */
export type ReadResult =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; reason: "missing" | "unreadable"; message: string };

export interface CompilerHost {
  readFile(path: string): ReadResult;
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
