import { readImageFile } from "./image-file.js";
import { readMask, resolveMask, type MaskSpec } from "./masks.js";
import { checkShapeInside, readShape } from "./shapes.js";
import type { GuideDecl, PointValue } from "../syntax/ast.js";
import type { Size } from "./geometry.js";
import type { CompilerHost, Limits } from "../host.js";
import type { ProjectRules } from "./project-root.js";
import { collectOptions, optionOf } from "./options.js";
import type { FitMode, PlanShape, Rect } from "../plan/plan.js";
import type { Reporter } from "../diagnostics/reporter.js";
import type { StyleResolver } from "./styles.js";
import { LATENT_FACTOR, nearestMultiples, numberIn, pixels, readFit } from "./values.js";
import type { Span } from "../diagnostics/span.js";

/** diffusers' img2img default strength. */
const DEFAULT_STRENGTH = 0.8;

export interface GuideSpec {
  /** As resolved from the scene file (the host reads this). */
  file: string;
  /** `guide "file.png"`, as written: what messages call it. */
  name: string;
  span: Span;
  sha256: string;
  imageSize: Size;
  fit: FitMode;
  strength: number;
  rect: Rect;
  /** Where in its rectangle the guide pins the picture, besides its own alpha: a shape or a mask. */
  shape?: PlanShape;
  shapePoints?: readonly PointValue[];
  maskFile?: MaskSpec;
}

/**
 * One `guide` statement: reads and checks the image (image-file.ts), asks the host whether its
 * pixels decode, and places it on the canvas; with its `shape` or `mask`, if it has one.
 */
export function elaborateGuide(
  decl: GuideDecl,
  /** Undefined when the canvas is unknown (an error has been reported). */
  canvas: Size | undefined,
  host: CompilerHost,
  rules: ProjectRules,
  limits: Limits,
  reporter: Reporter,
  styles: StyleResolver,
): GuideSpec | undefined {
  const options = collectOptions(reporter, decl.options, "guide");
  // The path interpolates styles like any string (an undefined style is reported by `expand`).
  const written = styles.expand(decl.path);

  const fitOption = optionOf(options, "fit");
  const fit: FitMode | undefined = fitOption ? readFit(reporter, fitOption.value) : "stretch";
  const shapeOption = optionOf(options, "shape");
  const shape = shapeOption && readShape(reporter, shapeOption);
  const maskOption = optionOf(options, "mask");
  const name = `guide "${written ?? ""}"`;
  if (maskOption && shapeOption) reporter.report("S2020", maskOption.keyword, { variant: "shapeMask", name, related: [{ span: shapeOption.keyword }] });
  const maskRequest = maskOption && !shapeOption ? readMask(reporter, styles, maskOption) : undefined;
  const strengthOption = optionOf(options, "strength");
  const strength = strengthOption ? numberIn(reporter, strengthOption.value, "strength", { min: 0, max: 1 }) : DEFAULT_STRENGTH;

  const atOption = optionOf(options, "at");
  const sizeOption = optionOf(options, "size");
  const at = atOption
    ? { x: pixels(reporter, atOption.value.x, "x", "position"), y: pixels(reporter, atOption.value.y, "y", "position") }
    : { x: 0, y: 0 };
  const size = sizeOption
    ? { width: pixels(reporter, sizeOption.value.width, "guide width", "size"), height: pixels(reporter, sizeOption.value.height, "guide height", "size") }
    : undefined;

  if (written === undefined) return undefined;
  const maskFile = maskRequest && resolveMask(maskRequest, host, rules, limits, reporter);
  const read = readImageFile(reporter, host, rules, limits, "guide", written, decl.path.span);
  if (!read.ok) {
    const problem = read.problem;
    if (problem.kind === "missing") reporter.report("S3003", decl.path.span, { file: written, path: problem.path });
    else if (problem.kind === "unreadable") reporter.report("S3004", decl.path.span, { variant: "unreadable", file: written, why: problem.why });
    else if (problem.kind === "notAnImage") reporter.report("S3004", decl.path.span, { variant: "notAnImage", file: written, extension: problem.extension });
    else if (problem.kind === "tooLarge") reporter.report("S3005", decl.path.span, { file: written, image: problem.image, maxPixels: limits.maxGuidePixels });
    else if (problem.kind === "damaged") reporter.report("S3004", decl.path.span, { variant: "damaged", file: written, damage: problem.damage });
    return undefined;
  }
  const { file, bytes, sha256, imageSize: imageSizePx } = read.image;
  const damage = host.decodeProblem?.({ bytes, sha256, pixels: imageSizePx.width * imageSizePx.height });
  if (damage !== undefined) {
    reporter.report("S3004", decl.path.span, { variant: "damaged", file: written, damage });
    return undefined;
  }

  let width: number | undefined;
  let height: number | undefined;
  if (size) ({ width, height } = size);
  else if (!atOption) {
    // The whole-canvas form. An unknown canvas (invalid, or no canvas and no regions) is reported already.
    if (!canvas) return undefined;
    ({ width, height } = canvas);
  } else {
    ({ width, height } = imageSizePx);
    if (width % LATENT_FACTOR !== 0 || height % LATENT_FACTOR !== 0) {
      const [w] = nearestMultiples(width);
      const [h] = nearestMultiples(height);
      reporter.report("S2001", decl.path.span, { variant: "guideImage", file: written, image: { width, height }, factor: LATENT_FACTOR, suggested: { width: Math.max(w, 8), height: Math.max(h, 8) } });
      return undefined;
    }
  }
  if (at.x === undefined || at.y === undefined || width === undefined || height === undefined || fit === undefined || strength === undefined) return undefined;
  if ((shapeOption && !shape) || (maskOption && !maskFile)) return undefined;

  const rect = { x: at.x, y: at.y, width, height };
  if (shape) checkShapeInside(reporter, { shape: shape.shape, shapePoints: shape.points, rect }, name);
  return {
    file,
    name,
    span: decl.path.span,
    sha256,
    imageSize: imageSizePx,
    fit,
    strength,
    rect,
    ...(shape && { shape: shape.shape, shapePoints: shape.points }),
    ...(maskFile && { maskFile }),
  };
}
