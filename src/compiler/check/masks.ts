import type { OptionOf } from "../syntax/ast.js";
import type { CompilerHost, Limits } from "../host.js";
import type { Reporter } from "../diagnostics/reporter.js";
import type { Span } from "../diagnostics/span.js";
import type { MaskImage, MaskPlacement } from "../plan/image-mask.js";
import type { RegionSpec, Size } from "./geometry.js";
import { readImageFile, type ImageFile } from "./image-file.js";
import type { ProjectRules } from "./project-root.js";
import { DEFAULT_FEATHER, FEATHER_RANGE } from "./shapes.js";
import type { StyleResolver } from "./styles.js";
import { numberIn, readFit } from "./values.js";

/** `mask "file.png" [fit NAME] [feather N] [invert]` as written, checked on its own; the file is read once the regions are known. */
export interface MaskRequest extends MaskPlacement {
  /** The path as written, styles interpolated. */
  written: string;
  /** The path's span, where the file's diagnostics point. */
  span: Span;
}

/** A mask whose file has been read: what the plan records, and its pixels when the host decoded them. */
export interface MaskSpec extends MaskRequest {
  /** As resolved from the scene file. */
  file: string;
  sha256: string;
  imageSize: Size;
  /** Absent when the host does not decode images: the checks then see the whole rectangle. */
  image?: MaskImage;
}

/** Reads a `mask` option's modifiers (S2009 unknown fit, S2010 feather out of range); undefined when one fails. */
export function readMask(reporter: Reporter, styles: StyleResolver, option: OptionOf<"mask">): MaskRequest | undefined {
  const written = styles.expand(option.value);
  const fit = option.fit ? readFit(reporter, option.fit) : "stretch";
  const feather = option.feather ? numberIn(reporter, option.feather, "feather", FEATHER_RANGE) : DEFAULT_FEATHER;
  if (written === undefined || fit === undefined || feather === undefined) return undefined;
  return { written, span: option.value.span, fit, feather, invert: option.invert !== undefined };
}

/**
 * Reads the mask file of every region that has one (S3014 for a file that is missing, unreadable,
 * not an image, too large or damaged; the project-root rule as for any file) and gets its pixels
 * from the host. A file named by many cells is read once. Returns the files read, for watch mode.
 */
export function elaborateMasks(regions: RegionSpec[], host: CompilerHost, rules: ProjectRules, limits: Limits, reporter: Reporter): string[] {
  const read = new Map<string, { image: ImageFile; pixels: MaskImage | undefined }>();
  for (const region of regions) {
    const request = region.mask;
    if (!request) continue;
    const key = `${request.span.file}\0${request.written}`;
    let hit = read.get(key);
    if (!hit) {
      const result = readMaskFile(request, host, rules, limits, reporter);
      if (!result) continue;
      read.set(key, (hit = result));
    }
    region.maskFile = maskSpec(request, hit);
  }
  return [...new Set([...read.values()].map(({ image }) => image.file))];
}

/** A guide's mask: its file read and checked as a region's is. */
export function resolveMask(request: MaskRequest, host: CompilerHost, rules: ProjectRules, limits: Limits, reporter: Reporter): MaskSpec | undefined {
  const read = readMaskFile(request, host, rules, limits, reporter);
  return read && maskSpec(request, read);
}

function maskSpec(request: MaskRequest, { image, pixels }: { image: ImageFile; pixels: MaskImage | undefined }): MaskSpec {
  return { ...request, file: image.file, sha256: image.sha256, imageSize: image.imageSize, ...(pixels && { image: pixels }) };
}

function readMaskFile(request: MaskRequest, host: CompilerHost, rules: ProjectRules, limits: Limits, reporter: Reporter): { image: ImageFile; pixels: MaskImage | undefined } | undefined {
  const { written: file, span } = request;
  const result = readImageFile(reporter, host, rules, limits, "mask", file, span);
  if (!result.ok) {
    const problem = result.problem;
    if (problem.kind === "missing") reporter.report("S3014", span, { variant: "missing", file, path: problem.path });
    else if (problem.kind === "unreadable") reporter.report("S3014", span, { variant: "unreadable", file, why: problem.why });
    else if (problem.kind === "notAnImage") reporter.report("S3014", span, { variant: "notAnImage", file, extension: problem.extension });
    else if (problem.kind === "tooLarge") reporter.report("S3014", span, { variant: "tooLarge", file, image: problem.image, maxPixels: limits.maxGuidePixels });
    else if (problem.kind === "damaged") reporter.report("S3014", span, { variant: "damaged", file, damage: problem.damage });
    return undefined;
  }
  const { bytes, sha256, imageSize } = result.image;
  const decoded = host.decodeMask?.({ bytes, sha256, pixels: imageSize.width * imageSize.height });
  if (decoded && !decoded.ok) {
    reporter.report("S3014", span, { variant: "damaged", file, damage: decoded.problem });
    return undefined;
  }
  return { image: result.image, pixels: decoded?.image };
}
