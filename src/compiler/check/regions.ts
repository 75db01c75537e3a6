import type { GridDecl, Option, OptionKind, OptionOf, RegionDecl, StringValue } from "../syntax/ast.js";
import type { RegionSpec, Size } from "./geometry.js";
import { exactCount, fitSuggestions } from "./grid-fit.js";
import { collectOptions, optionOf } from "./options.js";
import { readPaint, type Paint } from "./paint.js";
import type { Reporter } from "../diagnostics/reporter.js";
import type { StyleResolver } from "./styles.js";
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

/** 128851 → "128,851", for counts in messages. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** `at X, Y`, default 0, 0; undefined after an error. */
function readAt(ctx: ElaborateContext, options: Map<OptionKind, Option>): { x: number; y: number } | undefined {
  const at = optionOf(options, "at");
  if (!at) return { x: 0, y: 0 };
  const x = pixels(ctx.reporter, at.value.x, "x", "position");
  const y = pixels(ctx.reporter, at.value.y, "y", "position");
  return x === undefined || y === undefined ? undefined : { x, y };
}

export function readSize(ctx: ElaborateContext, option: OptionOf<"size" | "tile" | "canvas">, what: string): Size | undefined {
  const width = pixels(ctx.reporter, option.value.width, `${what} width`, "size");
  const height = pixels(ctx.reporter, option.value.height, `${what} height`, "size");
  return width === undefined || height === undefined ? undefined : { width, height };
}

/** One `region` statement. Undefined when its geometry could not be worked out (already reported). */
export function elaborateRegion(ctx: ElaborateContext, decl: RegionDecl): RegionSpec | undefined {
  const options = collectOptions(ctx.reporter, decl.options, "region");
  const paint = readPaint(ctx.reporter, ctx.styles, options, ctx.defaults);
  const at = readAt(ctx, options);
  const sizeOption = optionOf(options, "size");
  let size: Size | undefined;
  if (sizeOption) size = readSize(ctx, sizeOption, "region");
  else if (!ctx.canvas) {
    if (ctx.canvasWritten) return undefined;
    ctx.reporter.report("S2017", decl.name.span, `region \`${decl.name.name}\` has no \`size\``, {
      label: "size unknown",
      help: "add `size W x H`; a region without one reaches the canvas edges, which needs a `canvas` setting",
    });
    return undefined;
  } else if (at) {
    const { width, height } = ctx.canvas;
    if (at.x >= width || at.y >= height) {
      // No room between `at` and the canvas edges: the derived size would be empty or negative.
      const limits = [...(at.x >= width ? [`x below ${width}`] : []), ...(at.y >= height ? [`y below ${height}`] : [])];
      ctx.reporter.report("S2002", optionOf(options, "at")?.value.span ?? decl.name.span, `region \`${decl.name.name}\` starts at ${at.x}, ${at.y}, on or past the edge of the ${width} x ${height} canvas`, {
        label: "no room left for the region",
        help: `a region without \`size\` reaches the canvas's right and bottom edges, so it must start inside the canvas: use ${limits.join(" and ")}, or give it a \`size\``,
      });
      return undefined;
    }
    size = { width: width - at.x, height: height - at.y };
  }
  if (!at || !size) return undefined;
  return { name: decl.name.name, span: decl.name.span, rect: { ...at, ...size }, ...paint };
}

/** Reads a `prompts [...]` list, expanding styles in each item. */
function readPrompts(ctx: ElaborateContext, items: StringValue[]): (string | undefined)[] {
  return items.map((item) => ctx.styles.expand(item));
}

/**
 * One `grid` statement, expanded into its cells, row-major. Columns and rows not given are
 * derived so the grid reaches the canvas edge exactly; when no whole number does, the error says
 * which canvas sizes, overlaps or tile sizes would.
 */
export function elaborateGrid(ctx: ElaborateContext, decl: GridDecl, regionsSoFar: number): RegionSpec[] {
  const { reporter } = ctx;
  const name = decl.name.name;
  const options = collectOptions(reporter, decl.options, "grid");
  const base = readPaint(reporter, ctx.styles, options, ctx.defaults);
  const at = readAt(ctx, options);

  const tileOption = optionOf(options, "tile");
  if (!tileOption) {
    reporter.report("S2017", decl.name.span, `grid \`${name}\` has no \`tile\` size`, {
      label: "tile size unknown",
      help: "add `tile W x H`, the size of each cell",
    });
    return [];
  }
  const tile = readSize(ctx, tileOption, "tile");
  const overlapOption = optionOf(options, "overlap");
  let overlap: { x: number; y: number } | undefined = { x: 0, y: 0 };
  if (overlapOption) {
    const x = pixels(reporter, overlapOption.value.width, "horizontal overlap", "overlap");
    const y = pixels(reporter, overlapOption.value.height, "vertical overlap", "overlap");
    overlap = x === undefined || y === undefined ? undefined : { x, y };
  }
  if (!tile || !overlap || !at) return [];
  if (overlapOption && (overlap.x >= tile.width || overlap.y >= tile.height)) {
    reporter.report("S2011", overlapOption.value.span, `overlap ${overlap.x} x ${overlap.y} is not smaller than the tile ${tile.width} x ${tile.height}`, {
      label: "tiles would not advance",
      help: "neighbouring tiles overlap by less than a whole tile; a common choice is half the tile",
    });
    return [];
  }

  if (ctx.canvas && (at.x >= ctx.canvas.width || at.y >= ctx.canvas.height)) {
    const { width, height } = ctx.canvas;
    const limits = [...(at.x >= width ? [`x below ${width}`] : []), ...(at.y >= height ? [`y below ${height}`] : [])];
    reporter.report("S2002", optionOf(options, "at")?.value.span ?? decl.name.span, `grid \`${name}\` starts at ${at.x}, ${at.y}, outside the ${width} x ${height} canvas`, {
      label: "the grid's top-left corner is off the canvas",
      help: `\`at\` is where the grid's first cell starts: use ${limits.join(" and ")}`,
    });
    return [];
  }

  const axis = (kind: "columns" | "rows"): number | undefined => {
    const option = optionOf(options, kind);
    if (option) return integerIn(reporter, option.value, kind, 1, 1_000_000);
    const horizontal = kind === "columns";
    if (!ctx.canvas) {
      if (ctx.canvasWritten) return undefined;
      reporter.report("S2017", decl.name.span, `grid \`${name}\` needs \`${kind}\` because the scene has no \`canvas\``, {
        label: `${kind} unknown`,
        help: `add \`${kind} N\`, or a \`canvas\` setting to derive it from`,
      });
      return undefined;
    }
    const available = horizontal ? ctx.canvas.width - at.x : ctx.canvas.height - at.y;
    const t = horizontal ? tile.width : tile.height;
    const o = horizontal ? overlap.x : overlap.y;
    const count = exactCount(available, t, o);
    if (count !== undefined) return count;
    const dim = horizontal ? "width" : "height";
    reporter.report("S2011", tileOption.value.span, `grid \`${name}\` cannot tile the canvas ${dim}: ${t}-pixel tiles overlapping by ${o} never span exactly ${available} pixels`, {
      label: `no whole number of ${kind} fits`,
      help:
        available < t
          ? `the tile is ${dim === "width" ? "wider" : "taller"} than the ${available} pixels available; use a smaller tile or a larger canvas`
          : `${fitSuggestions(available, t, o, dim)}; or set \`${kind}\` to cover only part of the canvas`,
    });
    return undefined;
  };
  const columns = axis("columns");
  const rows = axis("rows");
  if (columns === undefined || rows === undefined) return [];
  // Counted before a single cell is built: `columns 1000000 rows 1000000` must not hang.
  const cellCount = columns * rows;
  if (regionsSoFar + cellCount > ctx.maxRegions) {
    const shape = `${formatCount(columns)} column${columns === 1 ? "" : "s"} x ${formatCount(rows)} row${rows === 1 ? "" : "s"}`;
    reporter.report(
      "S2022",
      decl.name.span,
      cellCount > ctx.maxRegions
        ? `grid \`${name}\` has ${formatCount(cellCount)} cells, over the limit of ${formatCount(ctx.maxRegions)} regions`
        : `grid \`${name}\`'s ${formatCount(cellCount)} cells bring the scene to ${formatCount(regionsSoFar + cellCount)} regions, over the limit of ${formatCount(ctx.maxRegions)}`,
      {
        label: shape,
        help: "every cell is a diffusion process run at every step; use a larger tile or a smaller overlap, or fewer `columns` and `rows`",
      },
    );
    return [];
  }

  const promptOption = optionOf(options, "prompt");
  const promptsOption = optionOf(options, "prompts");
  let prompts: (string | undefined)[] | undefined;
  if (promptsOption) {
    if (promptOption) {
      reporter.report("S2020", promptsOption.keyword, `grid \`${name}\` has both \`prompt\` and \`prompts\``, {
        label: "one prompt per cell",
        help: "keep `prompt` for the same prompt in every cell, or `prompts [...]` for one per cell, not both",
        related: [{ message: "`prompt` given here", span: promptOption.keyword }],
      });
    } else if (promptsOption.items.length !== cellCount) {
      reporter.report("S2012", promptsOption.keyword, `\`prompts\` has ${promptsOption.items.length} item${promptsOption.items.length === 1 ? "" : "s"} but grid \`${name}\` has ${cellCount} cell${cellCount === 1 ? "" : "s"} (${columns} column${columns === 1 ? "" : "s"} x ${rows} row${rows === 1 ? "" : "s"})`, {
        label: `expected ${cellCount} prompts`,
        help: "give one prompt per cell in row-major order (left to right, then top to bottom)",
      });
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
      reporter.report("S2018", { ...option.column.span, end: option.row.span.end }, `cell ${c}, ${r} is outside grid \`${name}\``, {
        label: `the grid has ${columns} column${columns === 1 ? "" : "s"} x ${rows} row${rows === 1 ? "" : "s"}`,
        help: `cells are numbered from 0: columns 0 to ${columns - 1}, rows 0 to ${rows - 1}`,
      });
      continue;
    }
    const key = `${c},${r}`;
    const previous = cells.get(key);
    if (previous) {
      reporter.report("S2016", option.keyword, `cell ${c}, ${r} of grid \`${name}\` is given twice`, {
        label: "given again here",
        help: "merge the two cell blocks",
        related: [{ message: "first given here", span: previous.cell.keyword }],
      });
      continue;
    }
    cells.set(key, { options: collectOptions(reporter, option.options, "cell"), cell: option });
  }

  const gridSeed = base.seed;
  if (gridSeed !== null && gridSeed + cellCount - 1 > MAX_SEED) {
    const seedOption = optionOf(options, "seed")!;
    reporter.report("S2010", seedOption.value.span, `grid seed ${gridSeed} is too large for ${cellCount} cells`, {
      label: "cell seeds would pass 2^53 - 1",
      help: `cell (c, r) uses seed + r * columns + c; use a seed of at most ${MAX_SEED - cellCount + 1}`,
    });
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
      const paint = override ? readPaint(reporter, ctx.styles, override.options, cellBase) : cellBase;
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
