import type { GuideDecl, Option, OptionOf } from "./syntax/ast.js";
import type { Diagnostic } from "./diagnostics/diagnostic.js";
import { notASceneFile, type NotAScene } from "./syntax/binary-files.js";
import { checkCanvasLimits, checkCoverage, checkInsideCanvas, checkShapesPaint, guideMemberships, regionWeightMaps, reportDominatedRegions } from "./check/canvas-checks.js";
import { checkShapesInside } from "./check/shapes.js";
import { boundingCanvas, type RegionSpec, type Size } from "./check/geometry.js";
import { elaborateGuide, type GuideSpec } from "./check/guides.js";
import { elaborateNoiseFile } from "./check/noise-file.js";
import { elaborateMasks } from "./check/masks.js";
import { DEFAULT_LIMITS, type CompilerHost, type Limits } from "./host.js";
import { loadImports } from "./check/imports.js";
import { checkOutputSetting, sceneFolderRules, type ProjectRules } from "./check/project-root.js";
import { collectOptions } from "./check/options.js";
import type { Plan } from "./plan/plan.js";
import type { MaskImage, MaskImages } from "./plan/image-mask.js";
import { validatePlan } from "./plan/plan-schema.js";
import { buildPlan } from "./plan/planner.js";
import { elaborateGrid, elaborateRegion } from "./check/regions.js";
import { Reporter } from "./diagnostics/reporter.js";
import { readSettings } from "./check/settings.js";
import { SourceFile } from "./diagnostics/source-file.js";
import type { Span } from "./diagnostics/span.js";
import { StyleResolver, styleReferences } from "./check/styles.js";
import { parseScene } from "./syntax/parse-scene.js";

export type { CompilerHost, Limits, ReadResult } from "./host.js";
export type { ProjectRules } from "./check/project-root.js";

export interface CompileOptions {
  /** The scene file's path, as the user named it; imports and guides resolve against its folder. */
  path: string;
  host: CompilerHost;
  limits?: Partial<Limits>;
  /** Where the scene's paths may lead (see project-root.ts); default: its own folder only. */
  project?: ProjectRules;
}

export interface CompileResult {
  /** Present only when there is no error; always valid against the plan schema. */
  plan?: Plan;
  /** Sorted by file, then position. */
  diagnostics: Diagnostic[];
  /** Every file read, for code frames. */
  sources: Map<string, SourceFile>;
  /** Imported files, guide and mask images and the noise file, for watch mode. */
  dependencies: string[];
  /** With a plan: the mask images its regions name that the host decoded, by sha256 (for the layout view). */
  maskImages?: MaskImages;
  /**
   * True for a style library: a file of only `style` and `import` statements, made to be imported.
   * It is checked (its styles, its imports) but has no regions to plan, and its styles are there
   * for others to use, so neither S2021 nor S2501 applies; it never has a plan.
   */
  library?: boolean;
}

/**
 * Compiles a scene: lex → parse → resolve imports and styles → elaborate regions, grids and
 * guides → check geometry → plan. Pure apart from the injected host; never throws for bad input.
 */
export function compile(text: string, options: CompileOptions): CompileResult {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const sources = new Map<string, SourceFile>();
  const main = new SourceFile(options.path, text);
  const notScene = notASceneFile(text, options.path);
  if (notScene) return notASceneResult(main, notScene);
  sources.set(main.path, main);
  const reporter = new Reporter(sources);

  const ast = parseScene(main, reporter, limits.maxTokenLength);
  // On a partial tree (statements dropped by the parser), the whole-scene checks (coverage,
  // dominance, "no regions", unused styles) would report the parser's gaps as mistakes of their own.
  const syntaxErrorsInMain = reporter.diagnostics.some((d) => d.code.startsWith("S1") && d.location.file === main.path);
  const library = ast.statements.some((s) => s.kind === "style") && ast.statements.every((s) => s.kind === "style" || s.kind === "import");
  const project = options.project ?? sceneFolderRules(options.path);
  const imports = loadImports(ast, options.host, project, limits.maxSourceBytes, limits.maxTokenLength, sources, reporter);
  const styles = new StyleResolver(reporter, imports.styles);

  const topLevel = ast.statements.filter((s): s is Option => s.kind !== "style" && s.kind !== "import" && s.kind !== "region" && s.kind !== "grid" && s.kind !== "guide");
  const settings = readSettings(reporter, styles, collectOptions(reporter, topLevel, "scene"));

  // Regions and grids share one namespace: cells are named after their grid.
  const names = new Map<string, Span>();
  for (const s of ast.statements) {
    if (s.kind !== "region" && s.kind !== "grid") continue;
    const first = names.get(s.name.name);
    if (first)
      reporter.report("S2004", s.name.span, { variant: "name", name: s.name.name, related: [{ span: first }] });
    else names.set(s.name.name, s.name.span);
  }

  const errorsBeforeGeometry = reporter.errorCount;
  // An explicit canvas over the limits is reported before any grid is expanded, and then treated
  // like an invalid one: nothing is derived from it.
  let canvasFits = settings.canvas === undefined || settings.canvasSpan === undefined || checkCanvasLimits(reporter, settings.canvas, settings.canvasSpan, true, limits);
  const canvasWritten = settings.canvasSpan !== undefined;
  const context = { reporter, styles, canvas: canvasFits ? settings.canvas : undefined, canvasWritten, defaults: settings.defaults, maxRegions: limits.maxRegions };
  const regions: RegionSpec[] = [];
  let tooManyRegions = false;
  for (const s of ast.statements) {
    if (s.kind === "region") {
      const region = elaborateRegion(context, s);
      if (!region) continue;
      regions.push(region);
      if (regions.length > limits.maxRegions && !tooManyRegions) {
        tooManyRegions = true;
        reporter.report("S2022", s.name.span, { variant: "region", name: s.name.name, number: regions.length, max: limits.maxRegions });
      }
    } else if (s.kind === "grid") {
      // A loop, not push(...cells): spreading a big array overflows the call stack.
      for (const cell of elaborateGrid(context, s, regions.length)) regions.push(cell);
    }
  }

  warnShiftedUnderLms(reporter, regions, settings.scheduler.name, topLevel);

  const hasRegions = ast.statements.some((s) => s.kind === "region" || s.kind === "grid");
  const firstGuide = ast.statements.find((s): s is GuideDecl => s.kind === "guide");
  // The canvas is known when it is written (and valid), or when regions span it.
  const canvasKnown = settings.canvas !== undefined || (!canvasWritten && hasRegions);
  const canvas: Size = settings.canvas ?? boundingCanvas(regions.map((r) => r.rect));
  const canvasSpan = settings.canvasSpan ?? ast.statements.find((s) => s.kind === "region" || s.kind === "grid")?.span ?? { file: main.path, start: 0, end: 0 };
  if (settings.canvas === undefined && canvasKnown) canvasFits = checkCanvasLimits(reporter, canvas, canvasSpan, false, limits);

  if (!hasRegions && !syntaxErrorsInMain && !library) {
    if (!firstGuide) {
      // Point at the first statement (a comment at 1:1 is no place for it), or the end of an empty scene.
      const first = ast.statements[0];
      reporter.report("S2021", first ? first.span : { file: main.path, start: text.length, end: text.length });
    } else if (!canvasWritten) {
      reporter.report("S2017", firstGuide.path.span, { variant: "canvas" });
    }
  }

  const guides: GuideSpec[] = [];
  for (const s of ast.statements) {
    if (s.kind !== "guide") continue;
    const guide = elaborateGuide(s, canvasKnown ? canvas : undefined, options.host, project, limits, reporter, styles);
    if (guide) guides.push(guide);
  }
  const maskFiles = elaborateMasks(regions, options.host, project, limits, reporter);
  const noiseFile = settings.noiseFile && elaborateNoiseFile(settings.noiseFile, main.path, canvasKnown && canvasFits ? canvas : undefined, options.host, project, limits, reporter);
  const read = [...imports.files, ...guides.map((g) => g.file), ...maskFiles, ...(noiseFile ? [noiseFile.file] : [])];
  const outputOption = topLevel.find((o): o is OptionOf<"output"> => o.kind === "output");
  if (settings.output !== undefined && outputOption)
    checkOutputSetting(reporter, project, options.host, main.path, settings.output, outputOption.value.span, [main.path, ...read]);

  // Geometry checks only make sense when every region and guide was placed on a known canvas.
  if (reporter.errorCount === errorsBeforeGeometry && canvasFits && canvasKnown) {
    checkInsideCanvas(reporter, regions, guides, canvas);
    checkShapesInside(reporter, regions);
    if (reporter.errorCount === errorsBeforeGeometry && !syntaxErrorsInMain) {
      const maps = regionWeightMaps(regions);
      const guideMasks = guideMemberships(guides);
      checkShapesPaint(reporter, regions, maps, guides, guideMasks);
      checkCoverage(reporter, maps, guides, guideMasks, canvas, canvasSpan);
      if (reporter.errorCount === errorsBeforeGeometry) {
        reportDominatedRegions(reporter, regions, maps);
      }
    }
  }

  for (const style of ast.statements) {
    if (style.kind !== "style") continue;
    styles.expandStyle(style);
  }
  if (!syntaxErrorsInMain && !library) {
    // Used means referenced from any string of the scene, whether or not that string's statement
    // could be elaborated (a grid whose `prompts` has the wrong length still uses its styles).
    const referenced = styleReferences(ast.statements);
    for (const style of ast.statements)
      if (style.kind === "style" && !styles.used.has(style.name.name) && !referenced.has(style.name.name) && imports.styles.get(style.name.name) === style)
        reporter.report("S2501", style.name.span, { name: style.name.name });
  }

  reporter.capErrorsPerFile();
  const diagnostics = sortDiagnostics(reporter.diagnostics);
  const dependencies = read;
  if (library) return { diagnostics, sources, dependencies, library };
  if (reporter.errorCount > 0) return { diagnostics, sources, dependencies };

  const plan = buildPlan({ sceneFile: main.path, settings, canvas, regions, guides, noiseFile, locate: (span) => reporter.locate(span).start });
  const problems = validatePlan(plan);
  if (problems.length > 0) throw new Error(`the compiler produced an invalid plan (a bug in scenec): ${problems.join("; ")}`);
  const maskImages = new Map<string, MaskImage>();
  for (const r of regions) if (r.maskFile?.image) maskImages.set(r.maskFile.sha256, r.maskFile.image);
  return { plan, diagnostics, sources, dependencies, ...(maskImages.size > 0 && { maskImages }) };
}

/**
 * S2504: shifted windows move their edges every step, and LMS (a fourth-order multistep method)
 * recombines the last four steps' predictions with large coefficients of both signs, so an edge
 * of one step survives as a seam (measured with the built-in model: the largest column jump 1.1 to
 * 2.1 times a fixed tiling's seam; under euler, ddim and dpmpp_2m about half of it).
 */
function warnShiftedUnderLms(reporter: Reporter, regions: readonly RegionSpec[], scheduler: string, topLevel: readonly Option[]): void {
  if (scheduler !== "lms") return;
  const written = topLevel.find((o) => o.kind === "scheduler");
  for (const r of regions) if (r.shifted) reporter.report("S2504", r.shifted.tiling, { grid: r.name, related: written ? [{ span: written.keyword }] : [] });
}

/** One S1016 for a file that is plainly not a scene; no source for code frames (binary data would only garble the terminal). */
function notASceneResult(main: SourceFile, notScene: NotAScene): CompileResult {
  const reporter = new Reporter(new Map([[main.path, main]]));
  reporter.report("S1016", { file: main.path, start: notScene.offset, end: notScene.offset }, { what: notScene.what, help: notScene.help });
  return { diagnostics: reporter.diagnostics, sources: new Map(), dependencies: [] };
}

function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => {
    if (a.location.file !== b.location.file) return a.location.file < b.location.file ? -1 : 1;
    return a.location.start.offset - b.location.start.offset || a.code.localeCompare(b.code);
  });
}
