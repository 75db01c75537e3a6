import type { GridDecl, Option, OptionKind, OptionOf, RegionDecl, StringValue } from "../syntax/ast.js";
import { GRID_TILINGS, type GridTiling } from "../plan/plan.js";
import type { RegionSpec, Size } from "./geometry.js";
import { exactCount, fitSuggestions } from "./grid-fit.js";
import { collectOptions, optionOf } from "./options.js";
import { readPaint, type Paint } from "./paint.js";
import type { Reporter } from "../diagnostics/reporter.js";
import type { StyleResolver } from "./styles.js";
import { suggestionHelp } from "./suggest.js";
import { integerIn, MAX_SEED, pixels } from "./values.js";

export interface ElaborateContext {
  reporter: Reporter;
  styles: StyleResolver;
  /** The scene's explicit canvas, when it has a valid one. */
  canvas: Size | undefined;
  /** True when a `canvas` was written, even an invalid one (already reported): no follow-on errors. */
  canvasWritten: boolean;
  defaults: Paint;
  /** The most regions a scene may have (grid cells included). */
  maxRegions: number;
}

/** `at X, Y`, default 0, 0; undefined after an error. */
function readAt(ctx: ElaborateContext, options: Map<OptionKind, Option>): { x: number; y: number } | undefined {
  const at = optionOf(options, "at");
  if (!at) return { x: 0, y: 0 };
  const x = pixels(ctx.reporter, at.value.x, "x", "position");
  const y = pixels(ctx.reporter, at.value.y, "y", "position");
  return x === undefined || y === undefined ? undefined : { x, y };
}

function readSize(ctx: ElaborateContext, option: OptionOf<"size" | "tile" | "canvas">, what: string): Size | undefined {
  const width = pixels(ctx.reporter, option.value.width, `${what} width`, "size");
  const height = pixels(ctx.reporter, option.value.height, `${what} height`, "size");
  return width === undefined || height === undefined ? undefined : { width, height };
}

/** One `region` statement. Undefined when its geometry could not be worked out (already reported). */
export function elaborateRegion(ctx: ElaborateContext, decl: RegionDecl): RegionSpec | undefined {
  const options = collectOptions(ctx.reporter, decl.options, "region");
  const paint = readPaint(ctx.reporter, ctx.styles, options, ctx.defaults, decl.name.name);
  const at = readAt(ctx, options);
  const sizeOption = optionOf(options, "size");
  let size: Size | undefined;
  if (sizeOption) size = readSize(ctx, sizeOption, "region");
  else if (!ctx.canvas) {
    if (ctx.canvasWritten) return undefined;
    ctx.reporter.report("S2017", decl.name.span, { variant: "regionSize", name: decl.name.name });
    return undefined;
  } else if (at) {
    const { width, height } = ctx.canvas;
    if (at.x >= width || at.y >= height) {
      // No room between `at` and the canvas edges: the derived size would be empty or negative.
      ctx.reporter.report("S2002", optionOf(options, "at")?.value.span ?? decl.name.span, { variant: "regionStart", name: decl.name.name, at, canvas: ctx.canvas });
      return undefined;
    }
    size = { width: width - at.x, height: height - at.y };
  }
  if (!at || !size) return undefined;
  return { name: decl.name.name, span: decl.name.span, rect: { ...at, ...size }, ...paint };
}

/** Reads a `prompts [...]` list, expanding styles in each item. */
function readPrompts(ctx: ElaborateContext, items: StringValue[]): (string | undefined)[] {
  return items.map((item) => ctx.styles.expandPrompt(item));
}

/** `tiling NAME`, default `fixed`; undefined after an error. */
function readTiling(reporter: Reporter, option: OptionOf<"tiling"> | undefined): GridTiling | undefined {
  if (!option) return "fixed";
  const name = option.value.name;
  if ((GRID_TILINGS as readonly string[]).includes(name)) return name as GridTiling;
  reporter.report("S2024", option.value.span, { name, help: suggestionHelp(name, GRID_TILINGS) });
  return undefined;
}

/**
 * One `grid` statement, expanded into its cells, row-major. Columns and rows not given are
 * derived so the grid reaches the canvas edge exactly; when no whole number does, the error says
 * which canvas sizes, overlaps or tile sizes would. A grid with `tiling shifted` is one spec over
 * its whole area (its windows move every step, so it has no cells of its own), followed by a
 * region for each `cell` override, which stays in place on top of the windows.
 */
export function elaborateGrid(ctx: ElaborateContext, decl: GridDecl, regionsSoFar: number): RegionSpec[] {
  const { reporter } = ctx;
  const name = decl.name.name;
  const options = collectOptions(reporter, decl.options, "grid");
  const base = readPaint(reporter, ctx.styles, options, ctx.defaults);
  const at = readAt(ctx, options);

  const tileOption = optionOf(options, "tile");
  if (!tileOption) {
    reporter.report("S2017", decl.name.span, { variant: "gridTile", name });
    return [];
  }
  const tile = readSize(ctx, tileOption, "tile");
  const tilingOption = optionOf(options, "tiling");
  const tiling = readTiling(reporter, tilingOption);
  const overlapOption = optionOf(options, "overlap");
  let overlap: { x: number; y: number } | undefined = { x: 0, y: 0 };
  if (overlapOption) {
    const x = pixels(reporter, overlapOption.value.width, "horizontal overlap", "overlap");
    const y = pixels(reporter, overlapOption.value.height, "vertical overlap", "overlap");
    overlap = x === undefined || y === undefined ? undefined : { x, y };
  }
  if (!tile || !overlap || !at || !tiling) return [];
  const shifted = tiling === "shifted";
  if (shifted && overlapOption && (overlap.x > 0 || overlap.y > 0)) {
    reporter.report("S2020", overlapOption.keyword, { variant: "shiftedOverlap", grid: name, overlap, related: [{ span: tilingOption!.keyword }] });
    return [];
  }
  if (overlapOption && (overlap.x >= tile.width || overlap.y >= tile.height)) {
    reporter.report("S2011", overlapOption.value.span, { variant: "overlap", overlap, tile });
    return [];
  }

  if (ctx.canvas && (at.x >= ctx.canvas.width || at.y >= ctx.canvas.height)) {
    reporter.report("S2002", optionOf(options, "at")?.value.span ?? decl.name.span, { variant: "gridStart", name, at, canvas: ctx.canvas });
    return [];
  }

  const axis = (kind: "columns" | "rows"): number | undefined => {
    const option = optionOf(options, kind);
    if (option) return integerIn(reporter, option.value, kind, 1, 1_000_000);
    const horizontal = kind === "columns";
    if (!ctx.canvas) {
      if (ctx.canvasWritten) return undefined;
      reporter.report("S2017", decl.name.span, { variant: "gridAxis", name, axis: kind });
      return undefined;
    }
    const available = horizontal ? ctx.canvas.width - at.x : ctx.canvas.height - at.y;
    const t = horizontal ? tile.width : tile.height;
    const o = horizontal ? overlap.x : overlap.y;
    const count = exactCount(available, t, o);
    if (count !== undefined) return count;
    const dim = horizontal ? "width" : "height";
    reporter.report("S2011", tileOption.value.span, { variant: "span", grid: name, dimension: dim, axis: kind, tile: t, overlap: o, available, fits: fitSuggestions(available, t, o, dim) });
    return undefined;
  };
  const columns = axis("columns");
  const rows = axis("rows");
  if (columns === undefined || rows === undefined) return [];
  // Counted before a single cell is built: `columns 1000000 rows 1000000` must not hang.
  const cellCount = columns * rows;
  if (regionsSoFar + cellCount > ctx.maxRegions) {
    reporter.report("S2022", decl.name.span, { variant: "grid", grid: name, columns, rows, before: regionsSoFar, max: ctx.maxRegions });
    return [];
  }

  const promptOption = optionOf(options, "prompt");
  const promptsOption = optionOf(options, "prompts");
  let prompts: (string | undefined)[] | undefined;
  if (promptsOption) {
    if (shifted) {
      reporter.report("S2020", promptsOption.keyword, { variant: "shiftedPrompts", grid: name, related: [{ span: tilingOption!.keyword }] });
    } else if (promptOption) {
      reporter.report("S2020", promptsOption.keyword, { variant: "prompts", grid: name, related: [{ span: promptOption.keyword }] });
    } else if (promptsOption.items.length !== cellCount) {
      reporter.report("S2012", promptsOption.keyword, { items: promptsOption.items.length, grid: name, columns, rows });
    } else prompts = readPrompts(ctx, promptsOption.items);
  }

  // Cell overrides, by "column,row".
  const cells = new Map<string, { options: Map<OptionKind, Option>; cell: OptionOf<"cell"> }>();
  for (const option of decl.options) {
    if (option.kind !== "cell") continue;
    const c = integerIn(reporter, option.column, "cell column", 0, Number.MAX_SAFE_INTEGER);
    const r = integerIn(reporter, option.row, "cell row", 0, Number.MAX_SAFE_INTEGER);
    if (c === undefined || r === undefined) continue;
    if (c >= columns || r >= rows) {
      reporter.report("S2018", { ...option.column.span, end: option.row.span.end }, { cell: { x: c, y: r }, grid: name, columns, rows });
      continue;
    }
    const key = `${c},${r}`;
    const previous = cells.get(key);
    if (previous) {
      reporter.report("S2016", option.keyword, { variant: "cell", cell: { x: c, y: r }, grid: name, related: [{ span: previous.cell.keyword }] });
      continue;
    }
    cells.set(key, { options: collectOptions(reporter, option.options, "cell"), cell: option });
  }

  if (shifted) {
    const spec: RegionSpec = {
      name,
      span: decl.name.span,
      rect: { ...at, width: columns * tile.width, height: rows * tile.height },
      grid: name,
      shifted: { tile, columns, rows, tiling: tilingOption!.keyword },
      ...base,
    };
    // A cell keeps the noise under it (the grid seed's, or the canvas's) unless it has a seed of its own.
    const cellBase: Paint = { ...base, seed: null };
    const placed = [...cells.entries()].map(([key, override]) => ({ at: key.split(",").map(Number) as [number, number], ...override }));
    // Row-major, as a fixed grid's cells are.
    placed.sort((p, q) => p.at[1] - q.at[1] || p.at[0] - q.at[0]);
    const overrides = placed.map(({ at: [c, r], options: cellOptions, cell }): RegionSpec => {
      return {
        name: `${name}[${c},${r}]`,
        span: cell.keyword,
        rect: { x: at.x + c * tile.width, y: at.y + r * tile.height, width: tile.width, height: tile.height },
        grid: name,
        ...readPaint(reporter, ctx.styles, cellOptions, cellBase, `${name}[${c},${r}]`),
      };
    });
    return [spec, ...overrides];
  }

  const gridSeed = base.seed;
  if (gridSeed !== null && gridSeed + cellCount - 1 > MAX_SEED) {
    const seedOption = optionOf(options, "seed")!;
    reporter.report("S2010", seedOption.value.span, { variant: "gridSeed", seed: gridSeed, cells: cellCount, maxSeed: MAX_SEED });
  }

  const regions: RegionSpec[] = [];
  const strideX = tile.width - overlap.x;
  const strideY = tile.height - overlap.y;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const index = r * columns + c;
      const cellBase: Paint = {
        ...base,
        prompt: prompts?.[index] ?? base.prompt,
        seed: gridSeed === null ? null : Math.min(gridSeed + index, MAX_SEED),
      };
      const override = cells.get(`${c},${r}`);
      const paint = override ? readPaint(reporter, ctx.styles, override.options, cellBase, `${name}[${c},${r}]`) : cellBase;
      regions.push({
        name: `${name}[${c},${r}]`,
        span: override ? override.cell.keyword : decl.name.span,
        rect: { x: at.x + c * strideX, y: at.y + r * strideY, width: tile.width, height: tile.height },
        grid: name,
        ...paint,
      });
    }
  }
  return regions;
}
