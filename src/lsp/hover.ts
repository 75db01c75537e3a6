import type { Hover } from "vscode-languageserver/node";
import { StyleResolver } from "../compiler/check/styles.js";
import { Reporter } from "../compiler/diagnostics/reporter.js";
import type { GuideDecl, Option, Statement } from "../compiler/syntax/ast.js";
import { unetItemsPerRegion, type Plan, type PlanMask, type PlanPaint, type Rect } from "../compiler/plan/plan.js";
import type { MaskImages } from "../compiler/plan/image-mask.js";
import type { Analysis } from "./analysis.js";
import { canvasShares } from "./canvas-shares.js";
import { spanRange, touches } from "./positions.js";
import type { ReferenceDoc } from "./reference-doc.js";
import { pathAt } from "./syntax-walk.js";
import { symbolAt } from "./navigation.js";

/**
 * What the cursor is on, explained: a region or grid (its rectangles, kernel, weight, guidance,
 * UNet cost and share of the canvas, from the plan), a `{style}` (its expanded text), a setting's
 * keyword (its rows in grammar/reference.md), a guide's or mask's path (its image's size and hash).
 * Plan facts need a plan, so they show only while the scene has no errors.
 */
export function hoverAt(analysis: Analysis, offset: number, reference: ReferenceDoc): Hover | undefined {
  const { files, sources, styles } = analysis.parsed;
  const tree = files.get(analysis.path);
  const source = sources.get(analysis.path);
  if (!tree || !source) return undefined;
  const plan = analysis.result.plan;

  const symbol = symbolAt(analysis, offset);
  if (symbol?.kind === "style") {
    const style = styles.get(symbol.name);
    if (!style) return undefined;
    const text = new StyleResolver(new Reporter(sources), styles).expandStyle(style);
    return markdown(text === undefined ? `style \`${symbol.name}\` cannot be expanded (see its diagnostic)` : `style \`${symbol.name}\`\n\n> ${text}`, spanRange(source, symbol.at));
  }
  if (symbol?.kind === "region") {
    if (!plan) return markdown(`\`${symbol.name}\`: the scene has errors, so it has no plan to describe`, spanRange(source, symbol.at));
    return markdown(paintsHover(plan, symbol.name, analysis.result.maskImages), spanRange(source, symbol.at));
  }

  const path = pathAt(tree, offset);
  const innermost = path.at(-1);
  if (innermost && innermost.kind !== "region" && innermost.kind !== "grid" && innermost.kind !== "guide" && innermost.kind !== "style" && innermost.kind !== "import" && touches(innermost.keyword, offset)) {
    const doc = reference.settingDoc(innermost.kind);
    if (doc) return markdown(doc, spanRange(source, innermost.keyword));
  }
  const statement = path[0];
  if (innermost?.kind === "mask" && touches(innermost.value.span, offset)) {
    const mask = plan && planMaskAt(plan, tree.statements, path);
    if (!mask) return markdown("the scene has errors, so this mask has no plan to describe", spanRange(source, innermost.value.span));
    return markdown(
      [
        `mask \`${mask.path}\``,
        `- image: ${mask.imageSize.width} x ${mask.imageSize.height} pixels, sha256 \`${mask.sha256}\``,
        `- fit \`${mask.fit}\`, feather ${mask.feather}${mask.invert ? ", inverted" : ""}`,
      ].join("\n"),
      spanRange(source, innermost.value.span),
    );
  }
  if (statement?.kind === "guide" && touches(statement.path.span, offset)) {
    const index = tree.statements.filter((s): s is GuideDecl => s.kind === "guide").indexOf(statement);
    const guide = plan?.guides[index];
    if (!guide) return markdown("the scene has errors, so this guide has no plan to describe", spanRange(source, statement.path.span));
    return markdown(
      [
        `guide \`${guide.path}\``,
        `- image: ${guide.imageSize.width} x ${guide.imageSize.height} pixels, sha256 \`${guide.sha256}\``,
        `- placed at ${rect(guide.rect)} (latent ${rect(guide.latent)}), fit \`${guide.fit}\``,
        `- strength ${guide.strength}: imposed for the first ${guide.steps} of ${plan!.steps} steps`,
      ].join("\n"),
      spanRange(source, statement.path.span),
    );
  }
  // A declaration's keyword (`region`, `grid`, `style`, `import`, `guide`): the statements table.
  if (statement && offset < statement.span.start + statement.kind.length) {
    const doc = reference.settingDoc(statement.kind);
    if (doc) return markdown(doc, spanRange(source, { start: statement.span.start, end: statement.span.start + statement.kind.length }));
  }
  return undefined;
}

/** The plan's mask for the `mask` option at the end of `path`: a region's, a grid cell's or a guide's. */
function planMaskAt(plan: Plan, statements: readonly Statement[], path: readonly (Statement | Option)[]): PlanMask | undefined {
  const [statement, inner] = path;
  if (statement?.kind === "guide") return plan.guides[statements.filter((s) => s.kind === "guide").indexOf(statement)]?.mask;
  const name = statement?.kind === "region" ? statement.name.name : statement?.kind === "grid" && inner?.kind === "cell" ? `${statement.name.name}[${inner.column.value},${inner.row.value}]` : undefined;
  return plan.regions.find((r) => r.name === name)?.mask;
}

/** A region, a grid's cells or a shifted grid, as the plan has them. */
function paintsHover(plan: Plan, name: string, masks: MaskImages | undefined): string {
  const shares = canvasShares(plan, masks);
  const paints: PlanPaint[] = [...plan.regions, ...(plan.shiftedGrids ?? [])].filter((p) => p.name === name || p.name.startsWith(`${name}[`));
  const lines = paints.slice(0, 12).map((p) => {
    const items = unetItemsPerRegion(p.guidance);
    const shifted = plan.shiftedGrids?.find((g) => g === p);
    const perStep = shifted ? items * shifted.columns * shifted.rows : items;
    return [
      `**${p.name}**`,
      `- pixels ${rect(p.rect)}, latent ${rect(p.latent)}`,
      `- kernel \`${p.blend}\`, weight ${p.weight}, guidance ${p.guidance}`,
      `- UNet cost: ${perStep} item${perStep === 1 ? "" : "s"} a step, ${perStep * plan.steps} in all`,
      `- dominates ${percent(shares.get(p.name) ?? 0)} of the canvas`,
    ].join("\n");
  });
  if (paints.length > 12) lines.push(`… and ${paints.length - 12} more cells`);
  return lines.join("\n\n") || `\`${name}\` has nothing in the plan`;
}

function rect(r: Rect): string {
  return `${r.width} x ${r.height} at ${r.x}, ${r.y}`;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

function markdown(value: string, range: Hover["range"]): Hover {
  return { contents: { kind: "markdown", value }, ...(range ? { range } : {}) };
}
