import type { GuideDecl, Option, Statement, StringValue } from "./ast.js";
import { Coverage } from "./coverage.js";
import type { Diagnostic } from "./diagnostic.js";
import { dominatedRegions, DOMINANCE_SHARE } from "./dominance.js";
import { boundingCanvas, insideCanvas, rectText, type RegionSpec, type Size } from "./geometry.js";
import { elaborateGuide, type GuideSpec } from "./guides.js";
import { DEFAULT_LIMITS, type CompilerHost, type Limits } from "./host.js";
import { loadImports } from "./imports.js";
import { collectOptions } from "./options.js";
import type { Plan } from "./plan.js";
import { validatePlan } from "./plan-schema.js";
import { buildPlan, toLatent } from "./planner.js";
import { elaborateGrid, elaborateRegion, formatCount } from "./regions.js";
import { Reporter } from "./reporter.js";
import { readSettings } from "./settings.js";
import { SourceFile } from "./source-file.js";
import type { Span } from "./span.js";
import { StyleResolver } from "./styles.js";
import { parseScene } from "./syntax.js";
import { LATENT_FACTOR } from "./values.js";

export type { CompilerHost, Limits, ReadResult } from "./host.js";

export interface CompileOptions {
  /** The scene file's path, as the user named it; imports and guides resolve against its folder. */
  path: string;
  host: CompilerHost;
  limits?: Partial<Limits>;
}

export interface CompileResult {
  /** Present only when there is no error; always valid against the plan schema. */
  plan?: Plan;
  /** Sorted by file, then position. */
  diagnostics: Diagnostic[];
  /** Every file read, for code frames. */
  sources: Map<string, SourceFile>;
  /** Imported files and guide images, for watch mode. */
  dependencies: string[];
  /**
   * True for a style library: a file of only `style` and `import` statements, made to be imported.
   * It is checked (its styles, its imports) but has no regions to plan, and its styles are there
   * for others to use, so neither S2021 nor S2501 applies; it never has a plan.
   */
  library?: boolean;
}

const MAX_UNCOVERED_LISTED = 4;

/**
 * Compiles a scene: lex → parse → resolve imports and styles → elaborate regions, grids and
 * guides → check geometry → plan. Pure apart from the injected host; never throws for bad input.
 */
export function compile(text: string, options: CompileOptions): CompileResult {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const sources = new Map<string, SourceFile>();
  const main = new SourceFile(options.path, text);
  sources.set(main.path, main);
  const reporter = new Reporter(sources);

  const ast = parseScene(main, reporter);
  // On a partial tree (statements dropped by the parser), the whole-scene checks (coverage,
  // dominance, "no regions", unused styles) would report the parser's gaps as mistakes of their own.
  const syntaxErrorsInMain = reporter.diagnostics.some((d) => d.code.startsWith("S1") && d.location.file === main.path);
  const library = ast.statements.some((s) => s.kind === "style") && ast.statements.every((s) => s.kind === "style" || s.kind === "import");
  const imports = loadImports(ast, options.host, sources, reporter);
  const styles = new StyleResolver(reporter, imports.styles);

  const topLevel = ast.statements.filter((s): s is Option => s.kind !== "style" && s.kind !== "import" && s.kind !== "region" && s.kind !== "grid" && s.kind !== "guide");
  const settings = readSettings(reporter, styles, collectOptions(reporter, topLevel, "scene"));

  // Regions and grids share one namespace: cells are named after their grid.
  const names = new Map<string, Span>();
  for (const s of ast.statements) {
    if (s.kind !== "region" && s.kind !== "grid") continue;
    const first = names.get(s.name.name);
    if (first)
      reporter.report("S2004", s.name.span, `\`${s.name.name}\` is declared twice`, {
        label: "declared again here",
        help: "region and grid names must be unique within a scene",
        related: [{ message: "first declared here", span: first }],
      });
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
        reporter.report("S2022", s.name.span, `region \`${s.name.name}\` is region number ${formatCount(regions.length)}, over the limit of ${formatCount(limits.maxRegions)}`, {
          label: "one region too many",
          help: "every region is a diffusion process run at every step; use fewer, larger regions",
        });
      }
    } else if (s.kind === "grid") {
      // A loop, not push(...cells): spreading a big array overflows the call stack.
      for (const cell of elaborateGrid(context, s, regions.length)) regions.push(cell);
    }
  }

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
      reporter.report("S2021", first ? first.span : { file: main.path, start: text.length, end: text.length }, "the scene has no regions", {
        label: "nothing to paint",
        help: 'add a region, for example `region sky { size 512 x 512  prompt "a blue sky" }`',
      });
    } else if (!canvasWritten) {
      reporter.report("S2017", firstGuide.path.span, "the scene has no `canvas`, and no regions to size it", {
        label: "the guide has no canvas to go on",
        help: "add `canvas W x H`, or regions (without a `canvas`, the canvas is their bounding box)",
      });
    }
  }

  const guides: GuideSpec[] = [];
  for (const s of ast.statements) {
    if (s.kind !== "guide") continue;
    const guide = elaborateGuide(s, canvasKnown ? canvas : undefined, options.host, limits, reporter, styles);
    if (guide) guides.push(guide);
  }

  // Geometry checks only make sense when every region and guide was placed on a known canvas.
  if (reporter.errorCount === errorsBeforeGeometry && canvasFits && canvasKnown) {
    checkInsideCanvas(reporter, regions, guides, canvas);
    if (reporter.errorCount === errorsBeforeGeometry && !syntaxErrorsInMain) {
      checkCoverage(reporter, regions, guides, canvas, canvasSpan);
      if (reporter.errorCount === errorsBeforeGeometry) {
        for (const { region, share, by } of dominatedRegions(regions, (r) => toLatent(r.rect)))
          reporter.report("S2502", region.span, `region \`${region.name}\` is drowned out by \`${by.name}\``, {
            label: `at most ${(share * 100).toFixed(1)}% of the mix anywhere`,
            help: `its weight is below ${DOMINANCE_SHARE * 100}% wherever it paints, so it barely shows; raise its \`weight\`, lower the others', or move it`,
          });
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
        reporter.report("S2501", style.name.span, `style \`${style.name.name}\` is never used`, {
          label: "unused",
          help: `use it as \`{${style.name.name}}\` in a prompt, or remove it`,
        });
  }

  const diagnostics = sortDiagnostics(reporter.diagnostics);
  const dependencies = [...imports.files, ...guides.map((g) => g.file)];
  if (library) return { diagnostics, sources, dependencies, library };
  if (reporter.errorCount > 0) return { diagnostics, sources, dependencies };

  const plan = buildPlan({ sceneFile: main.path, settings, canvas, regions, guides, where: (span) => reporter.where(span) });
  const problems = validatePlan(plan);
  if (problems.length > 0) throw new Error(`the compiler produced an invalid plan (a bug in scenec): ${problems.join("; ")}`);
  return { plan, diagnostics, sources, dependencies };
}

/** The names of the styles that the strings of these statements refer to (styles' own texts included). */
function styleReferences(statements: readonly Statement[]): Set<string> {
  const names = new Set<string>();
  const addString = (value: StringValue) => {
    for (const part of value.parts) if (part.kind === "ref") names.add(part.name);
  };
  const addOption = (option: Option) => {
    switch (option.kind) {
      case "model":
      case "negative":
      case "output":
      case "prompt":
        addString(option.value);
        break;
      case "prompts":
        option.items.forEach(addString);
        break;
      case "cell":
        option.options.forEach(addOption);
        break;
    }
  };
  for (const s of statements) {
    switch (s.kind) {
      case "style":
        addString(s.value);
        break;
      case "import":
        addString(s.path);
        break;
      case "guide":
        addString(s.path);
        s.options.forEach(addOption);
        break;
      case "region":
      case "grid":
        s.options.forEach(addOption);
        break;
      default:
        addOption(s);
    }
  }
  return names;
}

function checkCanvasLimits(reporter: Reporter, canvas: Size, span: Span, explicit: boolean, limits: Limits): boolean {
  const side = Math.max(canvas.width, canvas.height);
  const pixels = canvas.width * canvas.height;
  if (side <= limits.maxCanvasSide && pixels <= limits.maxCanvasPixels) return true;
  const what = explicit ? "the canvas" : "the canvas the regions span";
  reporter.report("S2014", span, `${what} is ${canvas.width} x ${canvas.height}, over the limit`, {
    label: side > limits.maxCanvasSide ? `a side is over ${limits.maxCanvasSide} pixels` : `over ${(limits.maxCanvasPixels / 1e6).toFixed(0)} megapixels`,
    help: `the limits are ${limits.maxCanvasSide} pixels a side and ${(limits.maxCanvasPixels / 1e6).toFixed(0)} megapixels; raise them with \`--max-side\` and \`--max-megapixels\` if your machine can take it`,
  });
  return false;
}

function checkInsideCanvas(reporter: Reporter, regions: readonly RegionSpec[], guides: readonly GuideSpec[], canvas: Size): void {
  const reportedGrids = new Set<string>();
  for (const r of regions) {
    if (insideCanvas(r.rect, canvas)) continue;
    if (r.grid !== undefined) {
      if (reportedGrids.has(r.grid)) continue;
      reportedGrids.add(r.grid);
      const cells = regions.filter((x) => x.grid === r.grid);
      const extent = boundingCanvas(cells.map((c) => c.rect));
      const outside = cells.filter((c) => !insideCanvas(c.rect, canvas)).length;
      reporter.report("S2002", r.span, `grid \`${r.grid}\` reaches ${extent.width} x ${extent.height}, outside the ${canvas.width} x ${canvas.height} canvas`, {
        label: `${outside} cell${outside === 1 ? "" : "s"} outside the canvas, first \`${r.name}\``,
        help: "use fewer columns or rows, a smaller tile or a larger overlap, or leave `columns`/`rows` out to derive them from the canvas",
      });
      continue;
    }
    reporter.report("S2002", r.span, `region \`${r.name}\` (${rectText(r.rect)}) is outside the ${canvas.width} x ${canvas.height} canvas`, {
      label: "pokes out of the canvas",
      help: placementHelp(r.rect, canvas),
    });
  }
  for (const g of guides) {
    if (insideCanvas(g.rect, canvas)) continue;
    reporter.report("S2002", g.span, `guide (${rectText(g.rect)}) is outside the ${canvas.width} x ${canvas.height} canvas`, {
      label: "pokes out of the canvas",
      help: placementHelp(g.rect, canvas),
    });
  }
}

function placementHelp(r: { x: number; y: number; width: number; height: number }, canvas: Size): string {
  // Each tip reads after "use": "use x of at least 0, a width of at most 512, or enlarge the canvas".
  const tips: string[] = [];
  if (r.x < 0) tips.push("x of at least 0");
  if (r.y < 0) tips.push("y of at least 0");
  const wide = r.x + r.width > canvas.width;
  const tall = r.y + r.height > canvas.height;
  if (wide) tips.push(r.width <= canvas.width ? `x of at most ${canvas.width - r.width} for this width` : `a width of at most ${canvas.width}`);
  if (tall) tips.push(r.height <= canvas.height ? `y of at most ${canvas.height - r.height} for this height` : `a height of at most ${canvas.height}`);
  const help = `use ${tips.join(", ")}${wide || tall ? ", or enlarge the canvas" : ""}`;
  return r.x < 0 || r.y < 0 ? `${help} (coordinates start at 0, 0 in the top-left corner)` : help;
}

function checkCoverage(reporter: Reporter, regions: readonly RegionSpec[], guides: readonly GuideSpec[], canvas: Size, canvasSpan: Span): void {
  const width = canvas.width / LATENT_FACTOR;
  const height = canvas.height / LATENT_FACTOR;
  const cover = new Coverage(width, height, regions.map((r) => toLatent(r.rect)));

  // A guide of strength < 1 lets the regions paint under it at some steps: they must be there.
  for (const g of guides) {
    if (g.strength >= 1) continue;
    const bare = cover.uncoveredIn(toLatent(g.rect));
    if (bare === 0) continue;
    reporter.report("S2013", g.span, "part of this guide has no region under it", {
      label: `${bare * LATENT_FACTOR * LATENT_FACTOR} pixels that no region paints`,
      help: "a guide of strength below 1 only pins the first steps; add a region over it, or use `strength 1` to keep those pixels exactly",
    });
  }

  // Pixels under any guide are accounted for: pinned by a strength-1 guide, or reported above.
  const guided = new Coverage(width, height, guides.map((g) => toLatent(g.rect)));
  const holes = cover.uncoveredRects((i) => guided.count[i]! > 0);
  if (holes.length === 0) return;
  const px = holes.map((h) => ({ x: h.x * LATENT_FACTOR, y: h.y * LATENT_FACTOR, width: h.width * LATENT_FACTOR, height: h.height * LATENT_FACTOR }));
  const listed = px.slice(0, MAX_UNCOVERED_LISTED).map(rectText).join("; ");
  const more = px.length > MAX_UNCOVERED_LISTED ? ` and ${px.length - MAX_UNCOVERED_LISTED} more` : "";
  reporter.report("S2003", canvasSpan, `canvas pixels covered by no region: ${listed}${more}`, {
    label: "not fully covered",
    help: "every pixel needs a region to paint it (or a `strength 1` guide to pin it); add or enlarge regions, or shrink the canvas",
  });
}

function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => {
    if (a.location.file !== b.location.file) return a.location.file < b.location.file ? -1 : 1;
    return a.location.start.offset - b.location.start.offset || a.code.localeCompare(b.code);
  });
}
