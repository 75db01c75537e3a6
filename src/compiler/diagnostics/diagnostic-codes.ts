import type { Severity } from "./diagnostic.js";
import { say, type ParamsOfText } from "./words.js";

interface Size {
  width: number;
  height: number;
}
interface Point {
  x: number;
  y: number;
}
type Rect = Point & Size;

// Phrases that several entries share. The catalogue itself is DIAGNOSTIC_CODES, below.

/** 128851 → "128,851", for counts in messages. */
function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** "s" when `n` is not 1: `${n} cell${plural(n)}`. */
function plural(n: number): string {
  return n === 1 ? "" : "s";
}

/** `` `a`, `b` `` joined with `separator`. */
function quoted(items: readonly (string | number)[], separator = ", "): string {
  return items.map((item) => `\`${item}\``).join(separator);
}

/** "512 x 256 at 0, 128". */
function rectText(r: Rect): string {
  return `${r.width} x ${r.height} at ${r.x}, ${r.y}`;
}

/** How to move a rectangle that pokes out of the canvas back in. */
function placementHelp(p: { rect: Rect; canvas: Size }): string {
  const { rect: r, canvas } = p;
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

/** The parser's own words for a syntax error ("expected A or B, found X": parser.ts). */
function parserMessage(p: { parsed: string }): string {
  return p.parsed;
}

/** "did you mean `x`?", or the valid words when none is close. */
function didYouMean(guess: string | undefined, candidates: readonly string[]): string {
  return guess ? `did you mean \`${guess}\`?` : `expected one of ${quoted(candidates)}`;
}

/** "x below 512 and y below 256": where a region or grid without room must start instead. */
function startLimits(at: Point, canvas: Size): string {
  return [...(at.x >= canvas.width ? [`x below ${canvas.width}`] : []), ...(at.y >= canvas.height ? [`y below ${canvas.height}`] : [])].join(" and ");
}

type FileUse = "import" | "guide" | "mask" | "noise";
const READ_WHAT = { import: "imported file", guide: "guide image", mask: "mask image", noise: "noise file" } as const;
const IMPORT_PATHS = "import paths are relative to the folder of the file that imports them";
const GUIDE_PATHS = "guide paths are relative to the folder of the scene file";
const MASK_PATHS = "mask paths are relative to the folder of the scene file";
const NOISE_SAVE = "write it with NumPy: `np.save(\"noise.npy\", noise.astype(np.float32))`, or from torch: `np.save(\"noise.npy\", latents.numpy())`";
const SHARED_STYLE_NAMES = "rename one of them; style names are shared by a scene and everything it imports";

function drownedHelp(p: { threshold: number }): string {
  return `it holds less than ${p.threshold * 100}% of the mix everywhere, so nowhere is it painted as itself; raise its \`weight\`, lower the others', make it larger, or move it off their centres`;
}

/**
 * The catalogue of every diagnostic the compiler can emit, and the words of each: a phase reports
 * a code with the parameters its templates take (`reporter.report("S2007", span, { name, help })`),
 * never a message of its own. Codes are stable: never renumber or reuse one. S1xxx: syntax (lexer,
 * parser). S2xxx: meaning (names, values, geometry). S3xxx: files (imports, guide images).
 * S25xx: warnings. A code whose messages differ in substance has named variants, chosen with
 * `variant`. grammar/reference.md documents each code with a minimal example that triggers it.
 */
export const DIAGNOSTIC_CODES = {
  S1001: {
    severity: "error",
    title: "unexpected character",
    text: {
      characters: say({
        // Backticks are quoted with double ones, as in Markdown: "unexpected characters `` ``` ``".
        message: (p: { count: number; shown: string }) => `unexpected character${p.count > 1 ? "s" : ""} ${p.shown.includes("`") ? `\`\` ${p.shown} \`\`` : `\`${p.shown}\``}`,
        label: "not part of the language",
        help: "strings go in double quotes; comments start with `#`",
      }),
      quote: say({
        message: (p: { quote: string; body: string }) => `\`${p.quote}\` is not a string quote`,
        label: "strings go in straight double quotes",
        help: (p) => `write \`"${p.body.length > 40 ? `${p.body.slice(0, 40)}…` : p.body}"\``,
      }),
    },
  },
  S1002: {
    severity: "error",
    title: "unterminated string",
    text: say({
      message: "unterminated string",
      label: "this string has no closing `\"` on its line",
      help: (p: { swallowed: string | undefined }) =>
        p.swallowed ? `close it with \`"\` before the \`${p.swallowed}\`, which is inside the string now` : "close it with `\"`; split a long prompt into adjacent strings, one per line",
    }),
  },
  S1003: {
    severity: "error",
    title: "unknown escape sequence in a string",
    text: say({
      message: (p: { escape: string }) => `unknown escape \`${p.escape}\` in a string`,
      label: "not an escape",
      help: "the escapes are `\\\"`, `\\\\`, `\\n`, `\\{` and `\\}`, and a prompt's `\\(`, `\\)`, `\\[` and `\\]` (literal brackets); write `\\\\` for a backslash",
    }),
  },
  S1004: {
    severity: "error",
    title: "malformed style interpolation",
    text: {
      unclosed: say({
        message: "unclosed `{` in a string",
        label: "opened here",
        help: "close the style reference with `}`, or write `\\{` for a literal brace",
      }),
      notAName: say({
        message: (p: { name: string }) => `\`{${p.name}}\` is not a style reference`,
        label: "expected a style name between the braces",
        help: "write `{style_name}` to insert a style, or `\\{` for a literal brace",
      }),
    },
  },
  S1010: {
    severity: "error",
    title: "unexpected token",
    // `expected`: not what the parser expected (after a keyword, `example` shows the statement
    // written out). The others: a token left over after a complete statement, by what it is.
    text: {
      expected: say({
        message: (p: { parsed: string; example: string | undefined }) => p.parsed,
        label: "unexpected here",
        help: (p) => (p.example === undefined ? undefined : `for example \`${p.example}\``),
      }),
      closingBrace: say({ message: parserMessage, label: "no block is open here", help: "remove it, or look above for a block that is closed twice" }),
      closingBracket: say({ message: parserMessage, label: "no list is open here", help: "`]` closes a grid's `prompts [ … ]` list; remove it" }),
      openingBrace: say({ message: parserMessage, label: "a block with no statement", help: "a block follows `region NAME`, `grid NAME`, `guide \"file\"` or `cell C, R`" }),
      openingBracket: say({ message: parserMessage, label: "a list with no option", help: "a `[ … ]` list follows `prompts`, in a grid" }),
      comma: say({
        message: parserMessage,
        label: "not between two items",
        help: "commas go between the numbers of `at X, Y` and `cell C, R` and between `prompts` items",
      }),
      value: say({
        message: parserMessage,
        label: "a value without an option",
        help: "a value follows the setting or option it belongs to, as in `steps 30` or `canvas 512 x 512`",
      }),
      other: say({
        message: parserMessage,
        label: "unexpected here",
        help: "a statement starts with a keyword such as `canvas`, `style`, `region`, `grid` or `guide`",
      }),
    },
  },
  S1011: {
    severity: "error",
    title: "unknown statement or option",
    text: {
      word: say({
        message: (p: { kind: string; word: string; where: string; guess: string | undefined; candidates: readonly string[] }) => `unknown ${p.kind} \`${p.word}\` ${p.where}`,
        label: (p) => `unknown ${p.kind}`,
        help: (p) => didYouMean(p.guess, p.candidates),
      }),
      afterScheduler: say({
        message: (p: { word: string; scheduler: string }) => `unknown word \`${p.word}\` after \`scheduler ${p.scheduler}\``,
        label: "not `karras`",
        help: "did you mean `karras`?",
      }),
    },
  },
  S1012: {
    severity: "error",
    title: "unexpected end of file",
    text: say({
      message: (p: { parsed: string; unclosed: "list" | "block" | undefined; expected: readonly string[] }) => `unexpected end of file: ${p.parsed}`,
      label: "the file ends here",
      help: (p) =>
        p.unclosed === "list"
          ? "a `prompts [` list must close with `]`, and its block with `}`"
          : p.unclosed === "block"
            ? "a block that opens with `{` must close with `}`"
            : p.expected.length > 0
              ? `the last statement is unfinished: ${p.expected.join(" or ")} should come next`
              : "the last statement is unfinished",
    }),
  },
  S1013: {
    severity: "error",
    title: "blocks nested too deeply",
    text: say({
      message: (p: { max: number }) => `blocks nested more than ${p.max} deep`,
      label: (p) => `block number ${p.max + 1} inside the others`,
      help: "blocks nest at most two deep (a `cell` block in a `grid` block): look for blocks that are never closed with `}`",
      related: "the outermost of the open blocks",
    }),
  },
  S1014: {
    severity: "error",
    title: "token too long",
    text: say({
      message: (p: { what: "number" | "string" | "word"; length: number; max: number }) => `a ${p.what} of ${formatCount(p.length)} characters is too long`,
      label: (p) => `longer than ${formatCount(p.max)} characters`,
      help: (p) => (p.what === "string" ? "a prompt is read a few dozen words at a time: shorten it, or split it over styles" : `a ${p.what} is at most ${formatCount(p.max)} characters long`),
    }),
  },
  S1015: {
    severity: "error",
    title: "too many errors in a file",
    text: {
      syntax: say({
        message: (p: { shown: number; hidden: boolean }) => `too many syntax errors: only the first ${p.shown} are shown, and the file is not checked further`,
        label: (p) => (p.hidden ? "the first one not shown" : "checking stopped after this one"),
        help: "fix these first; if this is not meant to be a scene file, check the file name",
      }),
      checks: say({
        message: (p: { shown: number }) => `too many errors: only the first ${p.shown} are shown`,
        label: "the first one not shown",
        help: "fix these first: many errors of one kind often have one cause",
      }),
    },
  },
  S1016: {
    severity: "error",
    title: "file is not a scene file",
    // What the file is, and what to do with such a file, come from binary-files.ts.
    text: say({
      message: (p: { what: string; help: string }) => `not a scene file: it is ${p.what}`,
      label: "not a scene",
      help: (p) => p.help,
    }),
  },
  S1017: {
    severity: "error",
    title: "unit after a number",
    text: say({
      message: (p: { plain: string }) => `no units: write \`${p.plain}\``,
      label: "a unit",
      help: "positions and sizes are numbers of pixels, written without `px`",
    }),
  },

  S2001: {
    severity: "error",
    title: "coordinate or size is not a multiple of 8",
    text: {
      value: say({
        message: (p: { what: string; raw: string; factor: number; nearest: readonly number[] }) => `${p.what} \`${p.raw}\` is not a multiple of ${p.factor}`,
        label: (p) => `not a multiple of ${p.factor}`,
        help: (p) => `use ${quoted(p.nearest, " or ")}: diffusion works on a grid ${p.factor} times smaller`,
      }),
      guideImage: say({
        message: (p: { file: string; image: Size; factor: number; suggested: Size }) => `guide image \`${p.file}\` is ${p.image.width} x ${p.image.height}, which is not a multiple of ${p.factor}`,
        label: "placed at its own size",
        help: (p) => `give it a size, for example \`size ${p.suggested.width} x ${p.suggested.height}\`, and it is resized with \`fit\``,
      }),
    },
  },
  S2002: {
    severity: "error",
    title: "region or guide outside the canvas",
    text: {
      region: say({
        message: (p: { name: string; rect: Rect; canvas: Size }) => `region \`${p.name}\` (${rectText(p.rect)}) is outside the ${p.canvas.width} x ${p.canvas.height} canvas`,
        label: "pokes out of the canvas",
        help: placementHelp,
      }),
      guide: say({
        message: (p: { rect: Rect; canvas: Size }) => `guide (${rectText(p.rect)}) is outside the ${p.canvas.width} x ${p.canvas.height} canvas`,
        label: "pokes out of the canvas",
        help: placementHelp,
      }),
      grid: say({
        message: (p: { grid: string; extent: Size; canvas: Size; outside: number; first: string }) =>
          `grid \`${p.grid}\` reaches ${p.extent.width} x ${p.extent.height}, outside the ${p.canvas.width} x ${p.canvas.height} canvas`,
        label: (p) => `${p.outside} cell${plural(p.outside)} outside the canvas, first \`${p.first}\``,
        help: "use fewer columns or rows, a smaller tile or a larger overlap, or leave `columns`/`rows` out to derive them from the canvas",
      }),
      regionStart: say({
        message: (p: { name: string; at: Point; canvas: Size }) => `region \`${p.name}\` starts at ${p.at.x}, ${p.at.y}, on or past the edge of the ${p.canvas.width} x ${p.canvas.height} canvas`,
        label: "no room left for the region",
        help: (p) => `a region without \`size\` reaches the canvas's right and bottom edges, so it must start inside the canvas: use ${startLimits(p.at, p.canvas)}, or give it a \`size\``,
      }),
      gridStart: say({
        message: (p: { name: string; at: Point; canvas: Size }) => `grid \`${p.name}\` starts at ${p.at.x}, ${p.at.y}, outside the ${p.canvas.width} x ${p.canvas.height} canvas`,
        label: "the grid's top-left corner is off the canvas",
        help: (p) => `\`at\` is where the grid's first cell starts: use ${startLimits(p.at, p.canvas)}`,
      }),
    },
  },
  S2003: {
    severity: "error",
    title: "canvas pixels covered by no region",
    text: say({
      message: (p: { listed: readonly Rect[]; more: number }) => `canvas pixels covered by no region: ${p.listed.map(rectText).join("; ")}${p.more > 0 ? ` and ${p.more} more` : ""}`,
      label: "not fully covered",
      help: "every pixel needs a region to paint it (or a `strength 1` guide to pin it); add or enlarge regions, or shrink the canvas",
    }),
  },
  S2004: {
    severity: "error",
    title: "duplicate name",
    text: {
      name: say({
        message: (p: { name: string }) => `\`${p.name}\` is declared twice`,
        label: "declared again here",
        help: "region and grid names must be unique within a scene",
        related: "first declared here",
      }),
      style: say({
        message: (p: { name: string }) => `style \`${p.name}\` is defined twice`,
        label: "defined again here",
        help: SHARED_STYLE_NAMES,
        related: "first defined here",
      }),
      importedStyle: say({
        message: (p: { name: string }) => `style \`${p.name}\` is defined twice`,
        label: "also defined in an imported file",
        help: SHARED_STYLE_NAMES,
        related: (r: { file: string }) => `also defined in \`${r.file}\``,
      }),
    },
  },
  S2005: {
    severity: "error",
    title: "undefined style",
    text: {
      style: say({
        message: (p: { name: string; guess: string | undefined }) => `style \`${p.name}\` is not defined`,
        label: "no style of this name",
        help: (p) => (p.guess ? `did you mean \`${p.guess}\`?` : `define it with \`style ${p.name} "..."\`, import the file that defines it, or write \`\\{\` for a literal brace`),
      }),
      inImportPath: say({
        message: (p: { name: string }) => `an import path cannot use a style (\`{${p.name}}\`)`,
        label: "styles are not known yet when imports are read",
        help: "write the path out in full; write `\\{` for a literal brace",
      }),
    },
  },
  S2006: {
    severity: "error",
    title: "style cycle",
    text: say({
      message: (p: { cycle: readonly string[] }) => `style cycle: ${quoted(p.cycle, " → ")}`,
      label: "this style ends up using itself",
      help: "a style may use other styles, but never itself through them; remove one of the references",
      related: (r: { name: string }) => `\`${r.name}\` is part of the cycle`,
    }),
  },
  // S2007–S2009, S2023 and S2024: `help` is suggest.ts's "did you mean" for the word.
  S2007: {
    severity: "error",
    title: "unknown scheduler",
    text: say({ message: (p: { name: string; help: string }) => `unknown scheduler \`${p.name}\``, label: "not a scheduler", help: (p) => p.help }),
  },
  S2008: {
    severity: "error",
    title: "unknown blend kernel",
    text: say({ message: (p: { name: string; help: string }) => `unknown blend kernel \`${p.name}\``, label: "not a blend kernel", help: (p) => p.help }),
  },
  S2009: {
    severity: "error",
    title: "unknown fit mode",
    text: say({ message: (p: { name: string; help: string }) => `unknown fit mode \`${p.name}\``, label: "not a fit mode", help: (p) => p.help }),
  },
  S2010: {
    severity: "error",
    title: "value out of range",
    text: {
      range: say({
        message: (p: { what: string; raw: string; min: number; max: number | undefined }) => `${p.what} \`${p.raw}\` is out of range`,
        label: (p) => `must be ${p.max === undefined ? `greater than ${p.min}` : `between ${p.min} and ${p.max}`}`,
        help: (p) => (p.max === undefined ? `use a value greater than ${p.min}` : `use a value from ${p.min} to ${p.max}`),
      }),
      pixelsTooLarge: say({
        message: (p: { what: string; raw: string }) => `${p.what} \`${p.raw}\` is out of range`,
        label: "too large to be a number of pixels",
        help: "use a multiple of 8 that fits the canvas",
      }),
      notPositive: say({
        message: (p: { what: string; raw: string; factor: number }) => `${p.what} \`${p.raw}\` is out of range`,
        label: "must be positive",
        help: (p) => `use at least \`${p.factor}\``,
      }),
      negative: say({
        message: (p: { what: string; raw: string }) => `${p.what} \`${p.raw}\` is out of range`,
        label: "must not be negative",
        help: "use `0` for tiles that touch without overlapping",
      }),
      empty: say({
        message: (p: { setting: "model" | "output" | "noise" }) => `\`${p.setting}\` is empty`,
        label: (p) => (p.setting === "model" ? "no model named" : "no file named"),
        help: (p) =>
          p.setting === "model"
            ? "name a model from `scenec.yaml` (such as `\"sd15\"`) or a path to an ONNX folder, or leave `model` out for the default model"
            : p.setting === "noise"
              ? "name a NumPy file of initial noise (such as `\"noise.npy\"`), or a generator: `noise scenec` or `noise torch`"
              : "name the PNG file to write (such as `\"picture.png\"`), or leave `output` out to write the scene's name with `.png` beside it",
      }),
      gridSeed: say({
        message: (p: { seed: number; cells: number; maxSeed: number }) => `grid seed ${p.seed} is too large for ${p.cells} cells`,
        label: "cell seeds would pass 2^53 - 1",
        help: (p) => `cell (c, r) uses seed + r * columns + c; use a seed of at most ${p.maxSeed - p.cells + 1}`,
      }),
    },
  },
  S2011: {
    severity: "error",
    title: "grid cannot tile the canvas",
    text: {
      overlap: say({
        message: (p: { overlap: Point; tile: Size }) => `overlap ${p.overlap.x} x ${p.overlap.y} is not smaller than the tile ${p.tile.width} x ${p.tile.height}`,
        label: "tiles would not advance",
        help: "neighbouring tiles overlap by less than a whole tile; a common choice is half the tile",
      }),
      // `fits` lists the canvas sizes and overlaps that would fit (grid-fit.ts works them out).
      span: say({
        message: (p: { grid: string; dimension: "width" | "height"; axis: "columns" | "rows"; tile: number; overlap: number; available: number; fits: string }) =>
          `grid \`${p.grid}\` cannot tile the canvas ${p.dimension}: ${p.tile}-pixel tiles overlapping by ${p.overlap} never span exactly ${p.available} pixels`,
        label: (p) => `no whole number of ${p.axis} fits`,
        help: (p) =>
          p.available < p.tile
            ? `the tile is ${p.dimension === "width" ? "wider" : "taller"} than the ${p.available} pixels available; use a smaller tile or a larger canvas`
            : `${p.fits}; or set \`${p.axis}\` to cover only part of the canvas`,
      }),
    },
  },
  S2012: {
    severity: "error",
    title: "prompt list length differs from the cell count",
    text: say({
      message: (p: { items: number; grid: string; columns: number; rows: number }) =>
        `\`prompts\` has ${p.items} item${plural(p.items)} but grid \`${p.grid}\` has ${p.columns * p.rows} cell${plural(p.columns * p.rows)} (${p.columns} column${plural(p.columns)} x ${p.rows} row${plural(p.rows)})`,
      label: (p) => `expected ${p.columns * p.rows} prompts`,
      help: "give one prompt per cell in row-major order (left to right, then top to bottom)",
    }),
  },
  S2013: {
    severity: "error",
    title: "guide with no prompt region under it",
    text: say({
      message: "part of this guide has no region under it",
      label: (p: { pixels: number }) => `${p.pixels} pixels that no region paints`,
      help: "a guide of strength below 1 only pins the first steps; add a region over it, or use `strength 1` to keep those pixels exactly",
    }),
  },
  S2014: {
    severity: "error",
    title: "canvas too large",
    text: say({
      message: (p: { explicit: boolean; canvas: Size; maxSide: number; maxPixels: number }) => `${p.explicit ? "the canvas" : "the canvas the regions span"} is ${p.canvas.width} x ${p.canvas.height}, over the limit`,
      label: (p) => (Math.max(p.canvas.width, p.canvas.height) > p.maxSide ? `a side is over ${p.maxSide} pixels` : `over ${(p.maxPixels / 1e6).toFixed(0)} megapixels`),
      help: (p) => `the limits are ${p.maxSide} pixels a side and ${(p.maxPixels / 1e6).toFixed(0)} megapixels; raise them with \`--max-side\` and \`--max-megapixels\` if your machine can take it`,
    }),
  },
  S2015: {
    severity: "error",
    title: "option not allowed here",
    // `home` says where the option belongs (options.ts), `where` is the block ("in a `grid`").
    text: say({
      message: (p: { option: string; where: string; home: string | undefined; allowed: readonly string[] }) => `\`${p.option}\` is not allowed ${p.where}`,
      label: "not allowed here",
      help: (p) => `${p.home ?? "remove it"}; ${p.where} the options are ${quoted(p.allowed)}`,
    }),
  },
  S2016: {
    severity: "error",
    title: "option given twice",
    text: {
      option: say({
        message: (p: { option: string }) => `\`${p.option}\` is given twice`,
        label: "given again here",
        help: "remove one of them",
        related: "first given here",
      }),
      cell: say({
        message: (p: { cell: Point; grid: string }) => `cell ${p.cell.x}, ${p.cell.y} of grid \`${p.grid}\` is given twice`,
        label: "given again here",
        help: "merge the two cell blocks",
        related: "first given here",
      }),
    },
  },
  S2017: {
    severity: "error",
    title: "missing required option",
    text: {
      regionSize: say({
        message: (p: { name: string }) => `region \`${p.name}\` has no \`size\``,
        label: "size unknown",
        help: "add `size W x H`; a region without one reaches the canvas edges, which needs a `canvas` setting",
      }),
      gridTile: say({
        message: (p: { name: string }) => `grid \`${p.name}\` has no \`tile\` size`,
        label: "tile size unknown",
        help: "add `tile W x H`, the size of each cell",
      }),
      gridAxis: say({
        message: (p: { name: string; axis: "columns" | "rows" }) => `grid \`${p.name}\` needs \`${p.axis}\` because the scene has no \`canvas\``,
        label: (p) => `${p.axis} unknown`,
        help: (p) => `add \`${p.axis} N\`, or a \`canvas\` setting to derive it from`,
      }),
      canvas: say({
        message: "the scene has no `canvas`, and no regions to size it",
        label: "the guide has no canvas to go on",
        help: "add `canvas W x H`, or regions (without a `canvas`, the canvas is their bounding box)",
      }),
    },
  },
  S2018: {
    severity: "error",
    title: "cell outside the grid",
    text: say({
      message: (p: { cell: Point; grid: string; columns: number; rows: number }) => `cell ${p.cell.x}, ${p.cell.y} is outside grid \`${p.grid}\``,
      label: (p) => `the grid has ${p.columns} column${plural(p.columns)} x ${p.rows} row${plural(p.rows)}`,
      help: (p) => `cells are numbered from 0: columns 0 to ${p.columns - 1}, rows 0 to ${p.rows - 1}`,
    }),
  },
  S2019: {
    severity: "error",
    title: "integer expected",
    text: say({
      message: (p: { what: string; raw: string; rounded: number }) => `${p.what} must be a whole number, not \`${p.raw}\``,
      label: "not an integer",
      help: (p) => `write \`${p.rounded}\``,
    }),
  },
  S2020: {
    severity: "error",
    title: "conflicting options",
    text: {
      prompts: say({
        message: (p: { grid: string }) => `grid \`${p.grid}\` has both \`prompt\` and \`prompts\``,
        label: "one prompt per cell",
        help: "keep `prompt` for the same prompt in every cell, or `prompts [...]` for one per cell, not both",
        related: "`prompt` given here",
      }),
      shiftedOverlap: say({
        message: (p: { grid: string; overlap: Point }) => `grid \`${p.grid}\` has \`tiling shifted\` and \`overlap ${p.overlap.x} x ${p.overlap.y}\``,
        label: "shifted windows never overlap",
        help: "remove `overlap`: shifted windows sit side by side and move every step, so their seams never stay in one place; or keep the overlap with `tiling fixed`",
        related: "`tiling shifted` given here",
      }),
      shapeMask: say({
        message: (p: { name: string }) => `\`${p.name}\` has both \`shape\` and \`mask\``,
        label: "a second outline",
        help: "keep one: `shape` draws an ellipse or polygon, `mask` takes the outline from an image",
        related: "`shape` given here",
      }),
      shiftedPrompts: say({
        message: (p: { grid: string }) => `grid \`${p.grid}\` has \`tiling shifted\` and \`prompts\``,
        label: "shifted windows have no cells of their own",
        help: 'a shifted window moves across several cells, so every window takes the grid\'s one `prompt`; give single cells a prompt with `cell C, R { prompt "..." }` (they stay in place, on top of the windows), or use `tiling fixed`',
        related: "`tiling shifted` given here",
      }),
    },
  },
  S2021: {
    severity: "error",
    title: "scene has no regions",
    text: say({
      message: "the scene has no regions",
      label: "nothing to paint",
      help: 'add a region, for example `region sky { size 512 x 512  prompt "a blue sky" }`',
    }),
  },
  S2022: {
    severity: "error",
    title: "too many regions",
    text: {
      region: say({
        message: (p: { name: string; number: number; max: number }) => `region \`${p.name}\` is region number ${formatCount(p.number)}, over the limit of ${formatCount(p.max)}`,
        label: "one region too many",
        help: "every region is a diffusion process run at every step; use fewer, larger regions",
      }),
      grid: say({
        message: (p: { grid: string; columns: number; rows: number; before: number; max: number }) =>
          p.columns * p.rows > p.max
            ? `grid \`${p.grid}\` has ${formatCount(p.columns * p.rows)} cells, over the limit of ${formatCount(p.max)} regions`
            : `grid \`${p.grid}\`'s ${formatCount(p.columns * p.rows)} cells bring the scene to ${formatCount(p.before + p.columns * p.rows)} regions, over the limit of ${formatCount(p.max)}`,
        label: (p) => `${formatCount(p.columns)} column${plural(p.columns)} x ${formatCount(p.rows)} row${plural(p.rows)}`,
        help: "every cell is a diffusion process run at every step; use a larger tile or a smaller overlap, or fewer `columns` and `rows`",
      }),
    },
  },
  S2023: {
    severity: "error",
    title: "unknown noise generator",
    text: say({ message: (p: { name: string; help: string }) => `unknown noise generator \`${p.name}\``, label: "not a noise generator", help: (p) => p.help }),
  },
  S2024: {
    severity: "error",
    title: "unknown grid tiling",
    text: say({ message: (p: { name: string; help: string }) => `unknown grid tiling \`${p.name}\``, label: "not a tiling", help: (p) => p.help }),
  },
  S2025: {
    severity: "error",
    title: "unbalanced bracket in a prompt",
    text: {
      unclosed: say({
        message: (p: { bracket: string }) => `\`${p.bracket}\` is never closed in this prompt`,
        label: "opened here",
        help: (p) => `close it with \`${p.bracket === "(" ? ")" : "]"}\`, or write \`\\${p.bracket}\` for a literal bracket`,
      }),
      stray: say({
        message: (p: { bracket: string }) => `\`${p.bracket}\` closes nothing in this prompt`,
        label: "no bracket open here",
        help: (p) => `write \`\\${p.bracket}\` for a literal bracket, or open it with \`${p.bracket === ")" ? "(" : "["}\``,
      }),
      tooDeep: say({
        message: (p: { depth: number }) => `brackets nested more than ${p.depth} deep in this prompt`,
        label: "one bracket too many",
        help: "no prompt needs this many: `(((red)))` is already red x1.33; write the weight itself, as in `(red:1.5)`",
      }),
      crossed: say({
        message: (p: { bracket: string; inner: string }) => `\`${p.bracket}\` closes a bracket while \`${p.inner}\`, opened inside it, is still open`,
        label: "brackets cross here",
        help: (p) => `brackets nest: close \`${p.inner}\` first, as in \`(a [b] c)\``,
        related: (r: { bracket: string }) => `\`${r.bracket}\` opened here`,
      }),
    },
  },
  S2026: {
    severity: "error",
    title: "malformed prompt weight",
    text: {
      badNumber: say({
        message: (p: { text: string }) => `\`${p.text}\` is not a number`,
        label: "not a number",
        help: "a weight is one decimal number, as in `(red:1.5)`",
      }),
    },
  },
  S2027: {
    severity: "error",
    title: "BREAK inside brackets",
    text: say({
      message: "`BREAK` inside brackets",
      label: "inside a `(` or `[` group",
      help: "close the brackets before `BREAK`: it starts a new part only outside them (A1111 reads it here as the word, with a negative weight)",
    }),
  },
  S2028: {
    severity: "error",
    title: "unknown shape",
    text: say({ message: (p: { name: string; help: string }) => `unknown shape \`${p.name}\``, label: "not a shape", help: (p) => p.help }),
  },

  S2029: {
    severity: "error",
    title: "shape outside its region",
    text: say({
      message: (p: { point: Point; name: string; size: { width: number; height: number } }) => `point (${p.point.x}, ${p.point.y}) of \`${p.name}\`'s polygon is outside its ${p.size.width} x ${p.size.height} rectangle`,
      label: "outside the region",
      help: (p) => `a polygon's points are pixels from the region's top-left corner, from (0, 0) to (${p.size.width}, ${p.size.height}); move the point, or make the region larger`,
    }),
  },
  S2030: {
    severity: "error",
    title: "malformed polygon",
    text: {
      few: say({
        message: (p: { count: number }) => `a polygon needs at least 3 points, found ${p.count}`,
        label: "too few points",
        help: "list its corners in order around the outline: `shape polygon (0, 0) (128, 0) (64, 128)`",
      }),
      many: say({
        message: (p: { count: number; max: number }) => `a polygon has at most ${formatCount(p.max)} points, found ${formatCount(p.count)}`,
        label: "one point too many",
        help: "simplify the outline, or draw it as a `mask` image",
      }),
      crossing: say({
        message: "the polygon's edges cross",
        label: "this edge meets another",
        help: "list the corners in order around the outline, so that no two edges cross, touch or run back over each other",
        related: "the edge it meets",
      }),
      points: say({
        message: (p: { name: string }) => `\`${p.name}\` takes no points`,
        label: "points given here",
        help: "remove the points, or write `shape polygon` to draw an outline through them",
      }),
    },
  },
  S2031: {
    severity: "error",
    title: "shape covers none of its region",
    text: say({
      message: (p: { name: string }) => `the shape of \`${p.name}\` covers none of its rectangle`,
      label: "paints nowhere",
      help: "each latent element is 8 x 8 pixels: make the shape larger, or remove `invert`",
    }),
  },
  S2032: {
    severity: "error",
    title: "bad seed list",
    text: {
      withSeed: say({
        message: "`seeds` and `seed` exclude each other",
        label: "one picture per seed",
        help: "keep `seeds` (its first seed is the picture `scenec watch` shows) or `seed`",
        related: () => "`seed` here",
      }),
      descending: say({
        message: (p: { from: number; to: number }) => `the range ${p.from}..${p.to} goes down`,
        label: "a range goes up",
        help: (p: { from: number; to: number }) => `write \`${p.to}..${p.from}\`, or list the seeds in the order you want them`,
      }),
      twice: say({
        message: (p: { seed: number }) => `seed ${p.seed} is in the list twice`,
        label: "already in the list",
        help: "each seed gives one picture: list it once",
      }),
      tooMany: say({
        message: (p: { max: number }) => `more than ${p.max.toLocaleString("en-US")} seeds`,
        label: "the list goes past the limit here",
        help: "a sweep renders one picture per seed: split it over several scenes or runs",
      }),
    },
  },

  S2033: {
    severity: "error",
    title: "mask covers none of its region",
    text: {
      empty: say({
        message: (p: { name: string; file: string }) => `the mask \`${p.file}\` of \`${p.name}\` covers none of its rectangle`,
        label: "black or transparent over the whole rectangle",
        help: "membership is the image's grey level (its alpha, when it has one): paint where the region goes white or opaque, check its `fit`, or add `invert`",
      }),
      inverted: say({
        message: (p: { name: string; file: string }) => `the inverted mask \`${p.file}\` of \`${p.name}\` covers none of its rectangle`,
        label: "white or opaque over the whole rectangle",
        help: "`invert` paints where the image is black or transparent, and it is nowhere: remove `invert`, or check the image",
      }),
    },
  },
  S2501: {
    severity: "warning",
    title: "unused style",
    text: say({
      message: (p: { name: string }) => `style \`${p.name}\` is never used`,
      label: "unused",
      help: (p) => `use it as \`{${p.name}}\` in a prompt, or remove it`,
    }),
  },
  S2502: {
    severity: "warning",
    title: "region dominated by others everywhere",
    // `threshold` is the share of the mix under which a region barely shows (dominance.ts).
    text: {
      region: say({
        message: (p: { name: string; by: string; share: number; threshold: number }) => `region \`${p.name}\` is drowned out by \`${p.by}\`: at best ${(p.share * 100).toFixed(1)}% of the mix`,
        label: () => "nowhere painted as itself",
        help: drownedHelp,
      }),
      more: say({
        message: (p: { name: string; count: number; threshold: number }) => `region \`${p.name}\` and ${formatCount(p.count - 1)} more are drowned out too`,
        label: (p) => `the first of ${formatCount(p.count)} regions not listed one by one`,
        help: drownedHelp,
      }),
    },
  },
  S2503: {
    severity: "warning",
    title: "import brings in only styles",
    text: say({
      message: (p: { file: string }) => `\`${p.file}\` has statements other than styles; an import brings in only its styles`,
      label: "only styles are imported",
      help: "keep shared styles in a file of their own",
      related: "ignored",
    }),
  },
  S2504: {
    severity: "warning",
    title: "shifted windows under the lms scheduler",
    text: say({
      message: (p: { grid: string }) => `grid \`${p.grid}\` has shifted windows, but the scene uses the \`lms\` scheduler`,
      label: "seams may show",
      help: "LMS combines the predictions of the last four steps with large coefficients of both signs, and their window edges lie in different places, so a step's edges can stay as a seam; use `scheduler euler`, `ddim` or `dpmpp_2m`",
      related: "`scheduler lms` given here",
    }),
  },
  S2505: {
    severity: "warning",
    title: "prompt weight out of range",
    text: say({
      message: (p: { weight: number; min: number; max: number }) => `prompt weight ${p.weight} is outside ${p.min} to ${p.max}`,
      label: (p) => (p.weight < p.min ? "a negative weight inverts these tokens" : "the weighted tokens swamp the rest"),
      help: (p) =>
        p.weight < p.min
          ? "to keep something out of the picture, put it in the `negative` prompt; weight 0 leaves it out of this one"
          : `weights past ${p.max} usually break the picture up; try 1.1 to 1.5`,
    }),
  },
  S2506: {
    severity: "warning",
    title: "extra network not supported",
    text: say({
      message: (p: { network: string | undefined; kind: string; name: string }) =>
        `${p.network ?? `extra network \`${p.kind}\``} \`${p.name}\` is not supported by scenec; the tag is ignored`,
      label: "left out of the prompt",
      help: "scenec runs the model's own weights; merge the network into the model to use it, or remove the tag",
    }),
  },
  S2507: {
    severity: "warning",
    title: "prompt editing not supported",
    text: say({
      message: (p: { form: "scheduled" | "alternating"; text: string }) =>
        `\`${p.text}\` is A1111's prompt editing (${p.form === "scheduled" ? "a switch between prompts during the steps" : "prompts alternating step by step"}), which scenec does not do`,
      label: "read as text, weighted ÷1.1",
      help: "scenec encodes one prompt for all the steps: write the words you want there, or `\\[` and `\\]` for literal brackets",
    }),
  },
  S2508: {
    severity: "warning",
    title: "colon in a weighted group read as text",
    // A1111 reads `(a: b)` as the text "a: b" weighted 1.1; so does scenec, saying so.
    text: {
      notANumber: say({
        message: (p: { text: string }) => `\`${p.text}\` after the colon is not a weight: the colon is read as text`,
        label: "not a number, so the group weighs 1.1",
        help: "for a weight, write a number after the colon, as in `(red:1.5)`; to keep the colon as text, move it outside the brackets and this warning goes",
      }),
      noWeight: say({
        message: "no weight after this colon: it is read as text",
        label: "no number after the colon, so the group weighs 1.1",
        help: "write the weight, as in `(red:1.5)`, or remove the colon",
      }),
    },
  },

  S3001: {
    severity: "error",
    title: "imported file not found",
    text: {
      missing: say({
        message: (p: { file: string; path: string }) => `cannot find imported file \`${p.file}\``,
        label: (p) => `no file at ${p.path}`,
        help: IMPORT_PATHS,
      }),
      unreadable: say({
        message: (p: { file: string; why: string }) => `cannot read imported file \`${p.file}\`: ${p.why}`,
        label: "unreadable",
        help: IMPORT_PATHS,
      }),
    },
  },
  S3002: {
    severity: "error",
    title: "import cycle",
    text: say({
      message: (p: { cycle: readonly string[] }) => `import cycle: ${quoted(p.cycle, " → ")}`,
      label: "this import closes the cycle",
      help: "move the shared styles into a file that imports nothing from the files that use it",
    }),
  },
  S3003: {
    severity: "error",
    title: "guide image not found",
    text: say({
      message: (p: { file: string; path: string }) => `cannot find guide image \`${p.file}\``,
      label: (p) => `no file at ${p.path}`,
      help: GUIDE_PATHS,
    }),
  },
  S3004: {
    severity: "error",
    title: "guide file is not a readable image",
    text: {
      unreadable: say({
        message: (p: { file: string; why: string }) => `cannot read guide image \`${p.file}\`: ${p.why}`,
        label: "unreadable",
        help: GUIDE_PATHS,
      }),
      notAnImage: say({
        message: (p: { file: string; extension: string }) => `\`${p.file}\` is not an image`,
        label: "not a readable image",
        help: (p) => `use a PNG, JPEG, WebP, GIF, TIFF or AVIF file (${p.extension || "no extension"} could not be read as one)`,
      }),
      damaged: say({
        message: (p: { file: string; damage: string }) => `guide image \`${p.file}\` is damaged: ${p.damage}`,
        label: "cannot be decoded",
        help: "the file is cut short or corrupted; export or download it again",
      }),
    },
  },
  S3005: {
    severity: "error",
    title: "guide image too large",
    text: say({
      message: (p: { file: string; image: Size; maxPixels: number }) => `guide image \`${p.file}\` is ${p.image.width} x ${p.image.height}, over the limit of ${p.maxPixels} pixels`,
      label: "too many pixels to decode safely",
      help: (p) => `scale the image down, or raise the limit (\`--max-guide-megapixels ${Math.ceil((p.image.width * p.image.height) / 1e6)}\`) if you trust the file`,
    }),
  },
  S3006: {
    severity: "error",
    title: "imported file is not a scene file",
    text: {
      binary: say({
        message: (p: { file: string; what: string }) => `\`${p.file}\` is not a scene file: it is ${p.what}`,
        label: "not text",
        help: "`import` reads the styles of a `.scene` file; to use an image, write `guide \"file.png\"`",
      }),
      notScene: say({
        message: (p: { file: string; path: string; tooManyErrors: number | undefined }) =>
          `\`${p.file}\` does not look like a scene file: ${p.tooManyErrors === undefined ? "it does not start with a statement" : `more than ${p.tooManyErrors} syntax errors`}`,
        label: "not a scene file",
        help: (p) => `\`import\` reads the styles of a \`.scene\` file; check the path (\`scenec check ${p.path}\` lists the errors)`,
        related: (r: { error: string }) => `its first syntax error: ${r.error}`,
      }),
    },
  },
  // S3007–S3012: what the project root is, how to allow more, and what is wrong with an output
  // name are shared with the CLI's `-o` (project-root.ts), and arrive worded.
  S3007: {
    severity: "error",
    title: "path outside the project root",
    text: say({
      message: (p: { path: string; use: FileUse | "output"; root: string; allowOutside: string }) => `\`${p.path}\` is outside the scene's project root`,
      label: (p) => `${p.use === "output" ? "writes" : "reads"} a file outside the project`,
      help: (p) => `the project root is ${p.root}; ${p.allowOutside}`,
    }),
  },
  S3008: {
    severity: "error",
    title: "not a regular file",
    text: say({
      message: (p: { use: FileUse; path: string; why: string }) => `${READ_WHAT[p.use]} \`${p.path}\` is not a regular file: it ${p.why}`,
      label: "not read",
      help: "only regular files are read, never devices, FIFOs or folders; check the path",
    }),
  },
  S3009: {
    severity: "error",
    title: "file too large",
    text: say({
      message: (p: { use: FileUse; path: string; why: string }) => `${READ_WHAT[p.use]} \`${p.path}\` is too large: it ${p.why}`,
      label: "not read",
      help: (p) =>
        p.use === "import"
          ? "check the path: a scene file is text of a few kilobytes"
          : p.use === "noise"
            ? "check the path: a noise file holds one float per latent element of the canvas"
            : p.use === "mask"
              ? "check the path, or scale the mask down (and raise `--max-guide-megapixels` if you trust it)"
            : "check the path, or scale the image down (and raise `--max-guide-megapixels` if you trust it)",
    }),
  },
  S3010: {
    severity: "error",
    title: "output is not an image file name",
    text: say({
      message: (p: { path: string; problem: string; stem: string }) => `cannot write the picture to \`${p.path}\`: ${p.problem}`,
      label: "not an image file name",
      help: (p) => `name a picture file, such as \`"${p.stem || "picture"}.png"\``,
    }),
  },
  S3011: {
    severity: "error",
    title: "absolute path",
    text: say({
      message: (p: { path: string; use: FileUse | "output"; relativeTo: string }) => `\`${p.path}\` is an absolute path`,
      label: (p) => `${p.use} paths are relative`,
      help: (p) => `write it relative to the folder of \`${p.relativeTo}\`, so that the scene works wherever it is copied`,
    }),
  },
  S3012: {
    severity: "error",
    title: "output would overwrite a file of the scene",
    text: say({
      message: (p: { path: string; problem: string }) => `cannot write the picture to \`${p.path}\`: ${p.problem}`,
      label: "a file of the scene",
      help: "name a file of its own, such as the scene's name with `.png`",
    }),
  },
  S3013: {
    severity: "error",
    title: "noise file is not usable",
    text: {
      missing: say({
        message: (p: { file: string; path: string }) => `cannot find noise file \`${p.file}\``,
        label: (p) => `no file at ${p.path}`,
        help: "noise paths are relative to the folder of the scene file",
      }),
      unreadable: say({
        message: (p: { file: string; why: string }) => `cannot read noise file \`${p.file}\`: ${p.why}`,
        label: "unreadable",
        help: "check the file's permissions",
      }),
      notNpy: say({
        message: (p: { file: string; problem: string }) => `\`${p.file}\` is not a NumPy .npy array: ${p.problem}`,
        label: "not an .npy file",
        help: NOISE_SAVE,
      }),
      dtype: say({
        message: (p: { file: string; dtype: string }) => `noise file \`${p.file}\` holds \`${p.dtype}\` values`,
        label: "not float32 or float16",
        help: "save little-endian float32 (`<f4`) or float16 (`<f2`) values: `np.save(\"noise.npy\", noise.astype(np.float32))`",
      }),
      shape: say({
        message: (p: { file: string; shape: readonly number[]; latent: { width: number; height: number }; canvas: Size }) =>
          `noise file \`${p.file}\` has shape (${p.shape.join(", ")}), but the canvas ${p.canvas.width} x ${p.canvas.height} needs (4, ${p.latent.height}, ${p.latent.width})`,
        label: "wrong shape for this canvas",
        help: (p) => `the noise is one value per latent element: shape (4, ${p.latent.height}, ${p.latent.width}) or (1, 4, ${p.latent.height}, ${p.latent.width}), as torch.randn draws it for this canvas`,
      }),
      nonFinite: say({
        message: (p: { file: string; count: number }) => `noise file \`${p.file}\` holds ${p.count} value${p.count === 1 ? "" : "s"} that ${p.count === 1 ? "is" : "are"} not finite`,
        label: "NaN or infinity",
        help: "initial noise must be finite numbers (standard normal values); regenerate the file",
      }),
    },
  },
  S3014: {
    severity: "error",
    title: "mask image is not usable",
    text: {
      missing: say({
        message: (p: { file: string; path: string }) => `cannot find mask image \`${p.file}\``,
        label: (p) => `no file at ${p.path}`,
        help: MASK_PATHS,
      }),
      unreadable: say({
        message: (p: { file: string; why: string }) => `cannot read mask image \`${p.file}\`: ${p.why}`,
        label: "unreadable",
        help: MASK_PATHS,
      }),
      notAnImage: say({
        message: (p: { file: string; extension: string }) => `mask \`${p.file}\` is not an image`,
        label: "not a readable image",
        help: (p) => `use a PNG, JPEG, WebP, GIF, TIFF or AVIF file (${p.extension || "no extension"} could not be read as one); white (or opaque) is inside`,
      }),
      damaged: say({
        message: (p: { file: string; damage: string }) => `mask image \`${p.file}\` is damaged: ${p.damage}`,
        label: "cannot be decoded",
        help: "the file is cut short or corrupted; export it again",
      }),
      tooLarge: say({
        message: (p: { file: string; image: Size; maxPixels: number }) => `mask image \`${p.file}\` is ${p.image.width} x ${p.image.height}, over the limit of ${p.maxPixels} pixels`,
        label: "too many pixels to decode safely",
        help: (p) => `scale the mask down (it is averaged to 8 x 8-pixel latent elements anyway), or raise the limit (\`--max-guide-megapixels ${Math.ceil((p.image.width * p.image.height) / 1e6)}\`) if you trust the file`,
      }),
    },
  },
} as const satisfies Record<string, { severity: Severity; title: string; text: object }>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** The parameters a code's words take, checked at every `report` call. */
export type DiagnosticParams<C extends DiagnosticCode> = ParamsOfText<(typeof DIAGNOSTIC_CODES)[C]["text"]>;
