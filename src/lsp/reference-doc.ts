import { readFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../package-root.js";
import type { OptionKind } from "../compiler/syntax/ast.js";
import { fileUri } from "./positions.js";

/**
 * grammar/reference.md, read once, as the source of the server's documentation: each diagnostic
 * code's section (its anchor, for a diagnostic's code description) and each setting's rows in the
 * reference's tables (for hovers). Nothing is copied out of the reference, so the hover says
 * what the reference says.
 */
export class ReferenceDoc {
  private readonly anchors = new Map<string, string>();
  /** keyword → the table rows that document it, each with its table's header and section. */
  private readonly rows = new Map<string, string[]>();
  readonly file: string;

  constructor(file = path.join(packageRoot(), "grammar", "reference.md")) {
    this.file = file;
    let section = "";
    let header: string[] | undefined;
    let headerLines: string[] = [];
    const lines = readFileSync(file, "utf8").split(/\r?\n/);
    lines.forEach((line, i) => {
      const heading = /^#{2,4} (.*)$/.exec(line);
      if (heading) {
        section = heading[1]!;
        const code = /^(S\d{4})\b/.exec(section)?.[1];
        if (code) this.anchors.set(code, slug(section));
        return;
      }
      if (!line.startsWith("|")) {
        header = undefined;
        return;
      }
      if (header === undefined) {
        header = cells(line);
        headerLines = [line, lines[i + 1] ?? ""];
        return;
      }
      if (/^\|[-:| ]+\|$/.test(line)) return;
      const first = cells(line)[0] ?? "";
      // `canvas W x H`, `noise NAME` or `noise "file.npy"`: every backticked form's first word.
      for (const m of first.matchAll(/`([a-z-]+)[^`]*`/g)) {
        const keyword = m[1]!;
        const list = this.rows.get(keyword) ?? [];
        list.push(`**${section}**\n\n${headerLines.join("\n")}\n${line}`);
        this.rows.set(keyword, list);
      }
    });
  }

  /** The reference's section for a diagnostic code, as a link. */
  codeHref(code: string): string | undefined {
    const anchor = this.anchors.get(code);
    return anchor && `${fileUri(this.file)}#${anchor}`;
  }

  /** Markdown: every reference table row about `keyword`. */
  settingDoc(keyword: OptionKind | string): string | undefined {
    const rows = this.rows.get(keyword);
    return rows && [...new Set(rows)].join("\n\n");
  }
}

function cells(row: string): string[] {
  return row.split("|").slice(1, -1).map((c) => c.trim());
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}
