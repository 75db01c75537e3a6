/**
 * Writes grammar/diagrams.html: railroad diagrams of the `.scene` grammar, one per parser rule,
 * drawn from the parser's own grammar (so they never drift from it). Run with `npm run diagrams`.
 *
 * Chevrotain's `createSyntaxDiagramsCode` makes a page that loads its scripts and style sheet from
 * a CDN (unpkg). Our users may be offline, so this page inlines the copies that ship in
 * node_modules/chevrotain/diagrams/ instead: it opens from a file:// URL with no network at all.
 * The output depends only on the grammar and the installed chevrotain, so it is the same on every
 * run; test/diagrams.test.ts checks that the committed file is up to date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { createSyntaxDiagramsCode } from "chevrotain";
import { sceneParser } from "../src/compiler/syntax/parser.js";
import { packageFolderAbove, packageRoot } from "../src/package-root.js";

/** Placeholders handed to chevrotain instead of CDN addresses, then replaced by inline copies. */
const RESOURCE_BASE = "scenec-inline:/";
const CSS = "scenec-inline:/diagrams.css";

/** The diagram scripts, in the order chevrotain's page loads them (each needs the ones before). */
const SCRIPTS = ["vendor/railroad-diagrams.js", "src/diagrams_builder.js", "src/diagrams_behavior.js", "src/main.js"] as const;

/** node_modules/chevrotain/diagrams: found from chevrotain's entry point (its package.json is not exported). */
export function chevrotainDiagramsDir(): string {
  return join(packageFolderAbove(dirname(createRequire(import.meta.url).resolve("chevrotain")), "chevrotain"), "diagrams");
}

/**
 * Inline text may not close its element early: `</script` (or `</style`) would end the element in
 * the middle. In JavaScript such text can only be in a string, regex or comment, where `<\/` means
 * the same; in CSS it could only be in a string or comment, where the same escape is harmless.
 */
function escapeInline(text: string, tag: "script" | "style"): string {
  return text.replace(new RegExp(`</(${tag})`, "gi"), "<\\/$1");
}

function replaceOnce(html: string, search: string, replacement: string): string {
  const at = html.indexOf(search);
  if (at < 0 || html.indexOf(search, at + 1) >= 0) {
    throw new Error(`chevrotain's diagram page changed: expected \`${search}\` exactly once (update scripts/diagrams.ts)`);
  }
  // A function, so that `$` in the replacement is taken literally.
  return html.replace(search, () => replacement);
}

/** The whole page, self-contained (no network), as a string. */
export function diagramsHtml(): string {
  const dir = chevrotainDiagramsDir();
  const read = (file: string): string => readFileSync(join(dir, file), "utf8").replace(/\r\n/g, "\n").trimEnd();

  let html = createSyntaxDiagramsCode(sceneParser.getSerializedGastProductions(), { resourceBase: RESOURCE_BASE, css: CSS });

  html = replaceOnce(html, "<!-- This is a generated file -->", "<!-- This is a generated file: run `npm run diagrams` to update it; do not edit. -->");
  html = replaceOnce(html, '<meta charset="utf-8">', '<meta charset="utf-8">\n<title>scenec: .scene grammar</title>');
  html = replaceOnce(html, `<link rel='stylesheet' href='${CSS}'>`, `<style>\n${escapeInline(read("diagrams.css"), "style")}\n</style>`);
  for (const script of SCRIPTS) {
    html = replaceOnce(html, `<script src='${RESOURCE_BASE}${script}'></script>`, `<script>\n// ${script} from chevrotain\n${escapeInline(read(script), "script")}\n</script>`);
  }
  if (html.includes("scenec-inline:")) throw new Error("chevrotain's diagram page refers to a resource that scripts/diagrams.ts does not inline");
  // No trailing blanks (chevrotain's template leaves some), one final newline.
  return html.replace(/[ \t]+$/gm, "").trim() + "\n";
}

export const DIAGRAMS_PATH = "grammar/diagrams.html";

function main(): void {
  const path = join(packageRoot(), DIAGRAMS_PATH);
  const html = diagramsHtml();
  writeFileSync(path, html);
  console.log(`wrote ${relative(process.cwd(), path) || path} (${sceneParser.getSerializedGastProductions().length} rules, ${html.length} characters)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
