import type { Severity } from "./diagnostic.js";

/**
 * The catalogue of every diagnostic the compiler can emit. Codes are stable: never renumber or
 * reuse one. S1xxx: syntax (lexer, parser). S2xxx: meaning (names, values, geometry).
 * S3xxx: files (imports, guide images). S25xx: warnings.
 * grammar/reference.md documents each with a minimal example that triggers it.
 */
export const DIAGNOSTIC_CODES = {
  S1001: { severity: "error", title: "unexpected character" },
  S1002: { severity: "error", title: "unterminated string" },
  S1003: { severity: "error", title: "unknown escape sequence in a string" },
  S1004: { severity: "error", title: "malformed style interpolation" },
  S1010: { severity: "error", title: "unexpected token" },
  S1011: { severity: "error", title: "unknown statement or option" },
  S1012: { severity: "error", title: "unexpected end of file" },
  S1013: { severity: "error", title: "blocks nested too deeply" },
  S1014: { severity: "error", title: "token too long" },
  S1015: { severity: "error", title: "too many errors in a file" },
  S1016: { severity: "error", title: "file is not a scene file" },
  S1017: { severity: "error", title: "unit after a number" },

  S2001: { severity: "error", title: "coordinate or size is not a multiple of 8" },
  S2002: { severity: "error", title: "region or guide outside the canvas" },
  S2003: { severity: "error", title: "canvas pixels covered by no region" },
  S2004: { severity: "error", title: "duplicate name" },
  S2005: { severity: "error", title: "undefined style" },
  S2006: { severity: "error", title: "style cycle" },
  S2007: { severity: "error", title: "unknown scheduler" },
  S2008: { severity: "error", title: "unknown blend kernel" },
  S2009: { severity: "error", title: "unknown fit mode" },
  S2010: { severity: "error", title: "value out of range" },
  S2011: { severity: "error", title: "grid cannot tile the canvas" },
  S2012: { severity: "error", title: "prompt list length differs from the cell count" },
  S2013: { severity: "error", title: "guide with no prompt region under it" },
  S2014: { severity: "error", title: "canvas too large" },
  S2015: { severity: "error", title: "option not allowed here" },
  S2016: { severity: "error", title: "option given twice" },
  S2017: { severity: "error", title: "missing required option" },
  S2018: { severity: "error", title: "cell outside the grid" },
  S2019: { severity: "error", title: "integer expected" },
  S2020: { severity: "error", title: "conflicting options" },
  S2021: { severity: "error", title: "scene has no regions" },
  S2022: { severity: "error", title: "too many regions" },

  S2501: { severity: "warning", title: "unused style" },
  S2502: { severity: "warning", title: "region dominated by others everywhere" },
  S2503: { severity: "warning", title: "import brings in only styles" },

  S3001: { severity: "error", title: "imported file not found" },
  S3002: { severity: "error", title: "import cycle" },
  S3003: { severity: "error", title: "guide image not found" },
  S3004: { severity: "error", title: "guide file is not a readable image" },
  S3005: { severity: "error", title: "guide image too large" },
  S3006: { severity: "error", title: "imported file is not a scene file" },
  S3007: { severity: "error", title: "path outside the project root" },
  S3008: { severity: "error", title: "not a regular file" },
  S3009: { severity: "error", title: "file too large" },
  S3010: { severity: "error", title: "output is not an image file name" },
  S3011: { severity: "error", title: "absolute path" },
  S3012: { severity: "error", title: "output would overwrite a file of the scene" },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
