import { createHash } from "node:crypto";
import path from "node:path";
import { imageSize } from "image-size";
import { imageDamage } from "./image-integrity.js";
import type { Size } from "./geometry.js";
import { maxGuideBytes, type CompilerHost, type Limits } from "../host.js";
import { readWithin, resolveScenePath, type ProjectRules } from "./project-root.js";
import type { Reporter } from "../diagnostics/reporter.js";
import type { Span } from "../diagnostics/span.js";

/** An image file the scene names (a guide, a mask), read and checked from its header. */
export interface ImageFile {
  /** As resolved from the scene file (the host reads this). */
  file: string;
  bytes: Uint8Array;
  sha256: string;
  /** After EXIF orientation. */
  imageSize: Size;
}

/**
 * Why an image file cannot be used, for its statement to report with its own code; `reported`:
 * already reported (the path breaks the project-root rule, or the file is not a regular file
 * within the byte limit: S3007–S3011, shared by every file a scene reads).
 */
export type ImageProblem =
  | { kind: "reported" }
  | { kind: "missing"; path: string }
  | { kind: "unreadable"; why: string }
  | { kind: "notAnImage"; extension: string }
  | { kind: "tooLarge"; image: Size }
  | { kind: "damaged"; damage: string };

/** EXIF orientations 5 to 8 rotate the picture a quarter turn, swapping its width and height. */
function orientedSize(info: { width: number; height: number; orientation?: number }): Size {
  const swap = info.orientation !== undefined && info.orientation >= 5 && info.orientation <= 8;
  return swap ? { width: info.height, height: info.width } : { width: info.width, height: info.height };
}

/**
 * Reads an image file named at `span` through the host (never the file system directly: a path
 * within the project root rule, a regular file within the byte limit), checks that it is an
 * image within the pixel limit whose structure is whole, and hashes it. Decoding its pixels is
 * the host's (the compiler is synchronous; see host.ts).
 */
export function readImageFile(
  reporter: Reporter,
  host: CompilerHost,
  rules: ProjectRules,
  limits: Limits,
  use: "guide" | "mask",
  written: string,
  span: Span,
): { ok: true; image: ImageFile } | { ok: false; problem: ImageProblem } {
  const file = resolveScenePath(reporter, rules, host, use, span.file, written, span);
  if (file === undefined) return { ok: false, problem: { kind: "reported" } };
  const read = readWithin(reporter, host, use, file, maxGuideBytes(limits), written, span);
  if (!read.ok && (read.reason === "not-a-file" || read.reason === "too-large")) return { ok: false, problem: { kind: "reported" } };
  if (!read.ok) return { ok: false, problem: read.reason === "missing" ? { kind: "missing", path: file } : { kind: "unreadable", why: read.message } };
  let info: { width: number; height: number; orientation?: number; type?: string };
  try {
    const probed = imageSize(read.bytes);
    if (probed.width === undefined || probed.height === undefined) throw new Error("no dimensions");
    info = { width: probed.width, height: probed.height, ...(probed.orientation !== undefined ? { orientation: probed.orientation } : {}), ...(probed.type !== undefined ? { type: probed.type } : {}) };
  } catch {
    return { ok: false, problem: { kind: "notAnImage", extension: path.extname(written) } };
  }
  const size = orientedSize(info);
  if (size.width * size.height > limits.maxGuidePixels) return { ok: false, problem: { kind: "tooLarge", image: size } };
  const damage = imageDamage(read.bytes, info.type);
  if (damage !== undefined) return { ok: false, problem: { kind: "damaged", damage } };
  return { ok: true, image: { file, bytes: read.bytes, sha256: createHash("sha256").update(read.bytes).digest("hex"), imageSize: size } };
}
